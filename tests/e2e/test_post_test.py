import re

from playwright.sync_api import expect

from accounts.models import User
from courses.models import Course
from demo.journeys import journey_enroll, journey_read
from demo.management.commands.seed_demo import SEED_SLUG
from enrollment.models import Enrollment
from testing.models import Attempt, EvaluationResponse, Question


def enrolled_learner_who_read_everything() -> Enrollment:
    enrollment = journey_enroll(
        user=User.objects.get(email="learner@example.com"),
        course=Course.objects.get(slug=SEED_SLUG),
    )
    journey_read(enrollment=enrollment)
    return enrollment


def answer_all(page, correct: bool, leave_out: int = 0) -> None:
    """Pick the right (or a wrong) choice for every question shown, as a person would,
    leaving the last `leave_out` questions unanswered."""
    key = {
        q.text: q.choices.get(is_correct=True).text
        for q in Question.objects.filter(course__slug=SEED_SLUG)
    }
    fieldsets = page.locator("fieldset.question").all()
    for fieldset in fieldsets[: len(fieldsets) - leave_out]:
        legend = fieldset.locator("legend").inner_text()
        text = legend.split("\n", 1)[-1].strip() if "\n" in legend else legend
        right = next(v for k, v in key.items() if k in text)
        labels = fieldset.locator("label").all()
        target = next(label for label in labels if (label.inner_text().strip() == right) == correct)
        target.click()


def screenshots(page, name: str) -> None:
    """The page at desktop width and on a 390 px phone, for a person to look at."""
    from tests.e2e.conftest import screenshot

    screenshot(page, f"{name}-desktop")
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(size)


def test_learner_fails_reviews_retakes_passes_and_evaluates(page, demo_data):
    from tests.e2e.conftest import assert_accessible, screenshot

    enrolled_learner_who_read_everything()
    page.goto(f"/accounts/login/?next=/learn/{SEED_SLUG}/")
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", name="Completion checklist")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Next: pass the post-test").click()
    assert_accessible(page)
    screenshots(page, "post-test-home")
    page.get_by_role("button", name="Start the post-test").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Post-test, attempt 1")
    assert_accessible(page)
    answer_all(page, correct=False, leave_out=2)
    expect(page.locator(".save-status")).to_have_text("Answers saved.")
    screenshots(page, "post-test-attempt")
    page.get_by_role("button", name="Submit my answers for grading").click()

    # Two questions were left unanswered: the page asks first, and grades nothing yet.
    summary = page.locator("#unanswered")
    expect(summary.get_by_role("heading")).to_have_text("2 questions have no answer yet")
    expect(summary).to_be_focused()
    count = Question.objects.filter(course__slug=SEED_SLUG).count()
    links = summary.get_by_role("link")
    expect(links).to_have_text([f"Question {count - 1}", f"Question {count}"])
    assert_accessible(page)
    screenshots(page, "post-test-unanswered-warning")
    links.first.click()
    focused = page.locator(f"#question-{count - 1} input[type=radio]").first
    expect(focused).to_be_focused()
    assert Attempt.objects.get().is_open
    page.get_by_role("button", name="Submit now, with 2 unanswered").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1: not passed yet")
    expect(page.get_by_role("heading", name="What to review")).to_be_visible()
    expect(page.get_by_text("2 questions had no answer and counted as incorrect.")).to_be_visible()
    expect(page.get_by_text("Attempts: unlimited.")).to_be_visible()
    assert_accessible(page)
    screenshots(page, "post-test-failed")
    page.get_by_role("button", name="Try again").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Post-test, attempt 2")
    answer_all(page, correct=True)
    page.wait_for_load_state("networkidle")  # the last autosave has landed
    page.reload()  # answers were saved as the learner went
    expect(page.locator("input[type=radio]:checked")).to_have_count(
        Question.objects.filter(course__slug=SEED_SLUG).count()
    )
    page.get_by_role("button", name="Submit my answers for grading").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 2: you passed")
    assert_accessible(page)

    page.get_by_role("link", name="Fill in the course evaluation").click()
    assert_accessible(page)
    page.get_by_role("button", name="Submit the evaluation").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_have_text("Please answer the questions marked below")
    expect(summary).to_be_focused()
    first = page.locator("fieldset.question").first
    expect(first.get_by_role("radio").first).to_have_attribute("aria-invalid", "true")
    expect(first.get_by_role("radio", name="Agree", exact=True)).to_have_accessible_description(
        "Choose one answer, from “Strongly agree” to “Strongly disagree”."
    )
    assert_accessible(page)
    screenshots(page, "evaluation-errors")
    summary.get_by_role("link").first.click()
    expect(first.get_by_role("radio").first).to_be_focused()
    for fieldset in page.locator("fieldset.question").all():
        fieldset.get_by_label("Agree", exact=True).check()
    page.get_by_label(re.compile("Comments and suggestions")).fill("Clear and useful.")
    screenshot(page, "evaluation")
    page.get_by_role("button", name="Submit the evaluation").click()
    expect(page.get_by_text("Thank you: your evaluation was recorded.")).to_be_visible()
    assert_accessible(page)
    assert Attempt.objects.filter(passed=True).count() == 1
    assert EvaluationResponse.objects.count() == 1
