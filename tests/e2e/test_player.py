import re

from playwright.sync_api import expect

from accounts.models import User
from courses.models import Course
from demo.journeys import journey_enroll
from demo.management.commands.seed_demo import SEED_SLUG
from tests.e2e.conftest import assert_accessible, screenshot


def enroll_demo_learner() -> None:
    journey_enroll(
        user=User.objects.get(email="learner@example.com"),
        course=Course.objects.get(slug=SEED_SLUG),
    )


def test_enrolled_learner_reads_listens_and_watches(page, demo_data):
    enroll_demo_learner()
    ranges = []
    page.on(
        "response",
        lambda r: ranges.append(r.status) if "/media/audio/" in r.url else None,
    )
    page.goto("/accounts/login/?next=/my/courses/")
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("0 of 5 sections completed")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Start")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Psychodynamics of the Therapeutic Relationship"
    )
    assert_accessible(page)
    page.get_by_role("link", name="Start reading").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The therapeutic alliance")
    assert_accessible(page)
    screenshot(page, "player-section")

    audio = page.locator("audio")
    page.wait_for_function("() => document.querySelector('audio').readyState >= 1")
    duration = audio.evaluate("a => a.duration")
    assert duration > 30
    audio.evaluate("a => { a.currentTime = 20; }")
    page.wait_for_function("() => document.querySelector('audio').currentTime >= 19")
    page.wait_for_function("() => document.querySelector('audio').readyState >= 2")
    assert 206 in ranges, ranges
    page.get_by_text("Transcript of").click()
    expect(page.get_by_text("three parts: shared goals")).to_be_visible()

    page.get_by_role("button", name="Mark complete and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transference")
    page.get_by_role("link", name=re.compile("Psychodynamics of the Therapeutic")).click()
    expect(page.get_by_text("1 of 5 sections completed.")).to_be_visible()
    expect(page.get_by_role("link", name="Resume: Transference")).to_be_visible()

    page.get_by_role("link", name="Opening remarks (sample video)").click()
    track = page.locator("video track[kind=captions]")
    expect(track).to_have_attribute("srclang", "en")
    page.wait_for_function(
        "() => document.querySelector('video').textTracks.length === 1"
        " && document.querySelector('video').textTracks[0].mode === 'showing'"
    )
    page.wait_for_function("() => document.querySelector('video').textTracks[0].cues?.length === 3")
    assert_accessible(page)
    screenshot(page, "player-video")


def test_signed_out_and_unenrolled_visitors_cannot_open_the_player(page, demo_data):
    response = page.goto(f"/learn/{SEED_SLUG}/")
    expect(page).to_have_url(re.compile("/accounts/login/"))
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()
    response = page.goto(f"/learn/{SEED_SLUG}/")
    assert response.status == 404
