#!/usr/bin/env bash
# Regenerates the demo course's sample media (committed beside this script, so the demo
# needs none of these tools): two narrated audio tracks and a short captioned intro video.
# Needs Debian's espeak-ng and ffmpeg. Run from this folder.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)

speak() {  # speak NAME TEXT
  espeak-ng -v en-us -s 150 -w "$tmp/$1.wav" "$2"
  ffmpeg -loglevel error -y -i "$tmp/$1.wav" -ac 1 -ar 22050 -codec:a libmp3lame -b:a 32k "$1.mp3"
}

speak alliance "$(sed -n '/^TRANSCRIPT/,$p' alliance.txt | tail -n +2)"
speak transference "$(sed -n '/^TRANSCRIPT/,$p' transference.txt | tail -n +2)"

espeak-ng -v en-us -s 150 -w "$tmp/intro.wav" "$(grep -v -e '^WEBVTT' -e '-->' -e '^$' -e '^[0-9]*$' intro.vtt | tr '\n' ' ')"
ffmpeg -loglevel error -y -f lavfi -i "color=c=0x0b4f8a:s=640x360:r=24" -i "$tmp/intro.wav" \
  -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='Psychodynamics of the':fontcolor=white:fontsize=30:x=(w-text_w)/2:y=120,drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='Therapeutic Relationship':fontcolor=white:fontsize=30:x=(w-text_w)/2:y=165,drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:text='Opening remarks (demo)':fontcolor=white:fontsize=20:x=(w-text_w)/2:y=225" \
  -shortest -c:v libx264 -preset veryslow -crf 36 -pix_fmt yuv420p -c:a aac -b:a 32k -ac 1 -movflags +faststart intro.mp4
ffmpeg -loglevel error -y -ss 1 -i intro.mp4 -frames:v 1 intro-poster.jpg
rm -rf "$tmp"
