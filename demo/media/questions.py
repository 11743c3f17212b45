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
