"""The director's post-test pages in admin pass axe-core (no serious or critical issue)."""

import re

from playwright.sync_api import expect

from courses.models import Course
from demo.journeys import journey_evaluate, journey_pass
from demo.management.commands.seed_demo import SEED_SLUG
from testing.models import Question
from testing.models import TestRules as Rules
from tests.e2e.conftest import assert_accessible, screenshot
from tests.e2e.test_post_test import enrolled_learner_who_read_everything


def look(page, name: str) -> None:
    """Check the page with axe, and keep it at desktop width and on a 390 px phone."""
    assert_accessible(page)
    screenshot(page, f"admin-{name}-desktop")
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"admin-{name}-phone")
    page.set_viewport_size(size)


def test_directors_post_test_pages_are_accessible(page, demo_data, tmp_path):
    enrollment = enrolled_learner_who_read_everything()
    attempt = journey_pass(enrollment=enrollment)
    journey_evaluate(enrollment=enrollment, rating="4")
    course = Course.objects.get(slug=SEED_SLUG)
    question = Question.objects.filter(course=course).first()

    page.goto("/admin/")
    page.get_by_label("Email").fill("director@example.com")
    page.get_by_label("Password").fill("demo-director-pass")
    page.get_by_role("button", name="Log in").click()

    page.goto("/admin/testing/question/")
    expect(page.get_by_role("link", name="Import CSV")).to_be_visible()
    look(page, "question-list")

    page.goto(f"/admin/testing/question/{question.pk}/change/")
    expect(page.get_by_role("heading", name="Change question")).to_be_visible()
    objectives = page.get_by_label("Objective").locator("option")
    expect(objectives).to_have_count(course.objectives.count() + 1)  # and the empty choice
    look(page, "question-edit")

    page.goto("/admin/testing/question/add/")
    expect(page.get_by_role("combobox", name="Course")).to_be_visible()
    look(page, "question-add")

    page.goto("/admin/testing/question/import/")
    bad = tmp_path / "questions.csv"
    bad.write_text("question,correct,choice_a,choice_b,choice_c\nWhich?,c,yes,no,\n")
    page.get_by_label("Course").select_option(label=course.title)
    page.get_by_label("File").set_input_files(bad)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Row 2, column correct: “c” points at choice_c")).to_be_visible()
    look(page, "question-import")

    page.goto(f"/admin/testing/attempt/{attempt.pk}/change/")
    expect(page.get_by_role("table", name=re.compile("Questions in the order"))).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    look(page, "attempt")

    page.goto("/admin/testing/attempt/")
    look(page, "attempt-list")

    page.goto("/admin/testing/evaluationresponse/")
    page.get_by_role("link", name=re.compile("Results:")).click()
    expect(page.get_by_text("1 evaluation submitted")).to_be_visible()
    look(page, "evaluation-summary")

    page.goto(f"/admin/testing/testrules/{Rules.objects.get(course=course).pk}/change/")
    look(page, "test-rules")

    page.goto("/admin/testing/timeaccommodation/add/")
    expect(page.get_by_role("combobox", name="Course")).to_be_visible()
    page.get_by_role("combobox", name="Learner").click()
    page.locator(".select2-search__field").fill("learner@")
    page.get_by_role("option", name="learner@example.com").click()
    look(page, "time-accommodation")
