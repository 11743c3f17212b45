"""The demo course's question bank: (objective number, question, correct, wrong choices...).

Original questions written for the demo, at least one per learning objective.
"""

QUESTIONS = [
    (1, "How many levels of defensive functioning does the course's ladder describe?",
     "Seven", ["Three", "Five", "Ten"]),
    (1, "Which defense sits at the most adaptive level of the ladder?",
     "Sublimation", ["Splitting", "Projection", "Acting out"]),
    (2, "Which of these is a common form of resistance?",
     "A sudden 'flight into health' that ends treatment early",
     ["Arriving on time for every session", "Asking about the fee policy once",
      "Disagreeing with a clearly mistaken interpretation"]),
    (3, "What is the recommended first step in managing resistance?",
     "Notice it without blame", ["Confront it forcefully", "Ignore it until it passes",
                                 "End the treatment"]),
    (4, "Transference is best described as:",
     "The client's experience of the therapist through the lens of earlier relationships",
     ["The therapist's feelings about the client", "A formal treatment contract",
      "A technique for reducing anxiety"]),
    (5, "A client who idealises the therapist and trusts eagerly shows what kind of transference?",
     "Positive", ["Negative", "Psychotic", "None"]),
    (6, "How can the transference neurosis help treatment?",
     "It gathers the client's central conflicts in the relationship, where they can be "
     "understood as they happen",
     ["It removes the need for interpretation", "It shortens every treatment",
      "It prevents any negative feelings"]),
    (7, "With clients of borderline or narcissistic organisation, the therapist should:",
     "Keep a steady, clear frame and time interpretations carefully",
     ["Interpret every reaction at once", "Drop the frame to seem warmer",
      "Avoid discussing the relationship at all"]),
    (8, "A client's mistrust of a therapist from a more privileged background may be:",
     "An accurate perception of real differences, to be acknowledged",
     ["Always a transference distortion", "A sign the client is not ready for therapy",
      "Irrelevant to the work"]),
    (9, "How does the working alliance differ from the transference relationship?",
     "The alliance is a conscious agreement on goals and tasks; transference is largely "
     "outside awareness",
     ["They are the same thing", "The alliance is unconscious; transference is conscious",
      "Only the therapist takes part in the alliance"]),
    (10, "Countertransference is most useful when the therapist:",
     "Notices it, reflects on its source and uses it to understand the client",
     ["Acts on it immediately", "Hides it from supervision", "Treats it as a mistake only"]),
    (10, "Which practice helps separate what a client evokes from what the therapist brings?",
     "Supervision and consultation", ["Longer sessions", "Fewer sessions",
                                      "Avoiding cultural topics"]),
]  # fmt: skip

EVALUATION_ITEMS = [
    ("rating", "The learning objectives were met."),
    ("rating", "The content is relevant to my practice."),
    ("rating", "The instructor was knowledgeable about the subject."),
    ("rating", "The manuscript, audio and video were of good quality."),
    ("rating", "The course was accessible to me (format, captions, transcripts)."),
    ("text", "Comments and suggestions"),
]

# The sample courses' manuscript (one section each) and question banks, so that every
# published demo course passes the publishing rules (a manuscript and a post-test).
SAMPLE_CONTENT = {
    "ethics-of-telehealth-practice": {
        "section": (
            "Telehealth and the ethics code",
            "Therapy on a screen keeps every duty of therapy in a room and adds a few of "
            "its own.\n\n"
            "## Consent\n\nTell clients how sessions are delivered, what the platform stores, "
            "what happens when the connection drops and how a crisis is handled.\n\n"
            "## Jurisdiction\n\nThe law that applies is usually the law where the client "
            "sits during the session. Check your licence before you see a client who has "
            "moved or travels.\n\n"
            "## Crisis planning\n\nBefore the first session, record the client's location, "
            "a local emergency number and a support person, and agree what you will do if "
            "the call ends in a crisis.",
        ),
        "questions": [
            (1, "Which item belongs in informed consent for telehealth?",
             "What happens if the connection drops during a session",
             ["The therapist's home address", "The client's diagnosis code",
              "A guarantee that the platform cannot fail"]),
            (2, "Whose jurisdiction usually governs a telehealth session?",
             "Where the client is located during the session",
             ["Where the therapist's company is registered", "Where the platform's servers are",
              "Whichever the therapist prefers"]),
            (3, "What should be recorded before a first video session?",
             "The client's location and a local emergency contact",
             ["The client's screen resolution", "Nothing: crises are rare online",
              "The client's employer"]),
        ],
    },
    "working-with-couples-in-conflict": {
        "section": (
            "Cycles, de-escalation and referral",
            "Couples rarely fight about the topic on the table; they fight in a pattern.\n\n"
            "## The pursue-withdraw cycle\n\nOne partner pursues contact and the other "
            "withdraws to calm things down; each move provokes the other.\n\n"
            "## Slowing things down\n\nReflect the pattern rather than the content, and ask "
            "each partner for the softer feeling under the first reaction.\n\n"
            "## When to refer\n\nViolence, active substance misuse or a partner's acute "
            "crisis may call for individual work first.",
        ),
        "questions": [
            (1, "In the pursue-withdraw cycle, why does one partner withdraw?",
             "To calm things down, which the other experiences as rejection",
             ["Because they no longer care", "To win the argument", "Because the therapist asks"]),
            (2, "Which technique slows an escalating exchange in session?",
             "Reflecting the pattern instead of the content",
             ["Deciding who is right", "Raising one's voice over both",
              "Assigning homework at once"]),
            (3, "When is an individual referral indicated?",
             "When there is violence or one partner is in acute crisis",
             ["Whenever the couple disagrees", "After the first session, always",
              "Never: couples work is always enough"]),
        ],
    },
}  # fmt: skip
