import re
import threading
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enrollment import progress, refunds
from testing import services
from testing.models import Answer, Attempt, TimeAccommodation
from testing.models import TestRules as Rules
from tests.factories import UserFactory
from tests.testing.conftest import answers_for

pytestmark = pytest.mark.django_db


# The learner's answer to "N questions have no answer yet: submit anyway?"
CONFIRMED = {"unanswered": "confirmed"}


def urls(slug, number=1):
    return {
        "home": reverse("testing:home", args=[slug]),
        "start": reverse("testing:start", args=[slug]),
        "attempt": reverse("testing:attempt", args=[slug, number]),
        "save": reverse("testing:save", args=[slug, number]),
        "submit": reverse("testing:submit", args=[slug, number]),
    }


@pytest.fixture
def learner_client(client, paid_order):
    client.force_login(paid_order.user)
    return client


def shown(response) -> list[str]:
    """The questions and choices in the order the page shows them."""
    return re.findall(
        r"<legend>.*?</legend>|<label for=\"q\d+[a-h]\">[^<]*", response.content.decode(), re.S
    )


def start(client, course) -> Attempt:
    client.post(urls(course.slug)["start"])
    return Attempt.objects.filter(status="open").get()


def test_questions_and_choice_order_are_drawn_once_and_stay_on_reload(learner_client, ready, bank):
    course = ready.course
    attempt = start(learner_client, course)
    first = shown(learner_client.get(urls(course.slug)["attempt"]))
    learner_client.post(urls(course.slug)["start"])  # resume, not a new draw
    second = shown(learner_client.get(urls(course.slug)["attempt"]))
    assert first == second
    assert len(first) == 4 * 4  # four legends, three choices each
    assert Attempt.objects.count() == 1
    assert sorted(attempt.question_ids) == sorted(q.pk for q in bank)


def test_the_test_page_leaks_no_answer_key(learner_client, ready, bank):
    attempt = start(learner_client, ready.course)
    page = learner_client.get(urls(ready.course.slug)["attempt"]).content.decode()
    assert "is_correct" not in page
    assert "correct" not in page.lower().replace("incorrect", "")
    for question in bank:
        for choice in question.choices.all():
            assert f'value="{choice.pk}"' not in page  # choices go by letter, not by id
    assert attempt.choice_ids  # the letters map to ids only on the server


def test_passing_attempt(learner_client, ready, bank):
    course = ready.course
    attempt = start(learner_client, course)
    response = learner_client.post(urls(course.slug)["submit"], answers_for(attempt, bank, 3))
    assert response.status_code == HTTPStatus.FOUND
    attempt.refresh_from_db()
    assert attempt.status == "submitted"
    assert str(attempt.score) == "75.00"
    assert attempt.passed
    page = learner_client.get(urls(course.slug)["attempt"]).content
    assert b"you passed" in page
    assert b"Fill in the course evaluation" in page


def test_failed_attempt_shows_objectives_to_review_but_not_the_answers(learner_client, ready, bank):
    course = ready.course
    attempt = start(learner_client, course)
    learner_client.post(urls(course.slug)["submit"], answers_for(attempt, bank, 1))
    attempt.refresh_from_db()
    assert not attempt.passed
    page = learner_client.get(urls(course.slug)["attempt"]).content.decode()
    assert "not passed yet" in page
    missed = [bank_q for bank_q in bank if bank_q.pk in attempt.question_ids[1:]]
    for question in missed:
        assert question.objective.text.capitalize() in page
        assert question.choices.get(is_correct=True).text not in page
        assert question.text not in page  # missed questions only with the setting
    assert "Try again" in page


def test_setting_shows_missed_questions_never_answers(learner_client, ready, bank):
    Rules.objects.filter(course=ready.course).update(show_missed_questions=True)
    attempt = start(learner_client, ready.course)
    learner_client.post(urls(ready.course.slug)["submit"], answers_for(attempt, bank, 0))
    page = learner_client.get(urls(ready.course.slug)["attempt"]).content.decode()
    for question in bank:
        assert question.text in page
        assert question.choices.get(is_correct=True).text not in page


def test_retake_draws_afresh_and_fresh_questions_from_a_larger_bank(learner_client, ready, bank):
    Rules.objects.filter(course=ready.course).update(questions_per_attempt=2)
    seen = set()
    for number in range(1, 7):
        attempt = start(learner_client, ready.course)
        assert attempt.number == number
        assert len(attempt.question_ids) == 2
        seen.update(attempt.question_ids)
        learner_client.post(urls(ready.course.slug, number)["submit"], CONFIRMED)
    assert len(seen) > 2


def test_unanswered_questions_count_as_incorrect_and_are_reported(learner_client, ready, bank):
    attempt = start(learner_client, ready.course)
    learner_client.post(urls(ready.course.slug)["submit"], CONFIRMED)
    attempt.refresh_from_db()
    assert attempt.score == 0
    assert Answer.objects.filter(attempt=attempt, choice=None).count() == 4
    page = learner_client.get(urls(ready.course.slug)["attempt"]).content
    assert b"4 questions had no answer and counted as incorrect" in page


def test_answers_are_saved_as_the_learner_goes(learner_client, ready, bank):
    attempt = start(learner_client, ready.course)
    data = answers_for(attempt, bank, 4)
    first = next(iter(data))
    response = learner_client.post(
        urls(ready.course.slug)["save"], {first: data[first]}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"saved": True, "count": 1}
    page = learner_client.get(urls(ready.course.slug)["attempt"]).content.decode()
    assert page.count("checked") == 1
    rest = {k: v for k, v in data.items() if k != first}
    learner_client.post(urls(ready.course.slug)["submit"], rest)
    attempt.refresh_from_db()
    assert attempt.score == 100


@pytest.mark.parametrize(
    "tampered",
    [{"q999999": "a"}, {"qFIRST": "z"}, {"qFIRST": "1"}, {"qFIRST": "aa"}, {"qFIRST": ""}],
)
def test_tampered_answers_are_refused_with_a_message_and_change_nothing(
    learner_client, ready, bank, tampered
):
    attempt = start(learner_client, ready.course)
    qid = attempt.question_ids[0]
    data = {k.replace("FIRST", str(qid)): v for k, v in tampered.items()}
    response = learner_client.post(urls(ready.course.slug)["submit"], data, follow=True)
    assert b"not part of this attempt" in response.content or b"not one of the choices" in (
        response.content
    )
    attempt.refresh_from_db()
    assert attempt.is_open
    assert not Answer.objects.exists()


def test_double_submit_grades_once(learner_client, ready, bank):
    attempt = start(learner_client, ready.course)
    good = answers_for(attempt, bank, 4)
    learner_client.post(urls(ready.course.slug)["submit"], good)
    learner_client.post(urls(ready.course.slug)["submit"], answers_for(attempt, bank, 0))
    attempt.refresh_from_db()
    assert attempt.score == 100
    assert Attempt.objects.count() == 1


def test_submitted_attempt_cannot_change(learner_client, ready, bank):
    attempt = start(learner_client, ready.course)
    learner_client.post(urls(ready.course.slug)["submit"], answers_for(attempt, bank, 4))
    response = learner_client.post(
        urls(ready.course.slug)["save"], answers_for(attempt, bank, 0), follow=True
    )
    assert b"This attempt has been graded: its answers can no longer change." in response.content
    assert Answer.objects.filter(is_correct=True).count() == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_grade_once(paid_order, fake_stripe):
    from testing.models import Choice, Question

    course = paid_order.course
    for i in range(3):
        question = Question.objects.create(course=course, order=i, text=f"Q{i}")
        Choice.objects.create(question=question, text="yes", is_correct=True)
        Choice.objects.create(question=question, text="no")
    attempt = services.attempt_start(enrollment=paid_order.enrollment)
    bank = list(Question.objects.all())
    barrier = threading.Barrier(4)

    def submit(right):
        client = Client()
        client.force_login(paid_order.user)
        barrier.wait()
        try:
            client.post(urls(course.slug)["submit"], answers_for(attempt, bank, right))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(r,)) for r in (0, 1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    attempt.refresh_from_db()
    assert attempt.status == "submitted"
    assert Answer.objects.filter(attempt=attempt).count() == 3
    correct = Answer.objects.filter(attempt=attempt, is_correct=True).count()
    assert attempt.score == (Decimal(correct) * 100 / 3).quantize(Decimal("0.01"))


def test_another_learners_attempt_is_404(client, ready, bank):
    attempt = services.attempt_start(enrollment=ready)
    client.force_login(UserFactory())
    for name in ("attempt", "save", "submit"):
        url = urls(ready.course.slug, attempt.number)[name]
        response = client.post(url) if name != "attempt" else client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND
    with pytest.raises(services.AttemptRefused):
        services.attempt_submit(attempt=attempt, user=UserFactory(), posted={})


def test_refunded_learner_cannot_start_or_submit(learner_client, ready, bank, fake_stripe):
    attempt = services.attempt_start(enrollment=ready)
    refunds.order_refund(order=ready.order, reason="x", actor="director")
    response = learner_client.post(urls(ready.course.slug)["submit"], answers_for(attempt, bank, 4))
    assert response.status_code == HTTPStatus.NOT_FOUND
    ready.refresh_from_db()
    with pytest.raises(services.AttemptRefused):
        services.attempt_submit(attempt=attempt, user=ready.user, posted={})
    assert not services.attempt_eligibility(enrollment=ready).allowed
    attempt.refresh_from_db()
    assert attempt.is_open


def test_post_test_waits_for_the_material(learner_client, ready, bank, with_section):
    response = learner_client.post(urls(ready.course.slug)["start"], follow=True)
    assert b"Complete every section" in response.content
    assert not Attempt.objects.exists()
    progress.section_complete(enrollment=ready, section=with_section)
    start(learner_client, ready.course)


def test_attempt_limit(learner_client, ready, bank):
    Rules.objects.filter(course=ready.course).update(max_attempts=2)
    for number in (1, 2):
        start(learner_client, ready.course)
        learner_client.post(urls(ready.course.slug, number)["submit"], CONFIRMED)
    response = learner_client.post(urls(ready.course.slug)["start"], follow=True)
    assert b"You have used all 2 attempts" in response.content
    assert Attempt.objects.count() == 2


def test_wait_between_attempts(learner_client, ready, bank):
    Rules.objects.filter(course=ready.course).update(wait_minutes=60)
    start(learner_client, ready.course)
    learner_client.post(urls(ready.course.slug)["submit"], CONFIRMED)
    response = learner_client.post(urls(ready.course.slug)["start"], follow=True)
    assert b"You can try again in 60 minute(s)" in response.content
    Attempt.objects.update(submitted_at=timezone.now() - timedelta(minutes=61))
    assert services.attempt_eligibility(enrollment=ready).allowed


def test_time_limit_with_an_accommodation(ready, bank):
    Rules.objects.filter(course=ready.course).update(time_limit_minutes=30)
    TimeAccommodation.objects.create(enrollment=ready, extra_minutes=15)
    attempt = services.attempt_start(enrollment=ready)
    minutes = (attempt.deadline - attempt.started_at).total_seconds() / 60
    assert 44.9 < minutes < 45.1


def test_time_running_out_grades_only_answers_saved_in_time_and_says_so(
    learner_client, ready, bank
):
    Rules.objects.filter(course=ready.course).update(time_limit_minutes=10)
    attempt = start(learner_client, ready.course)
    data = answers_for(attempt, bank, 4)
    first = next(iter(data))
    learner_client.post(urls(ready.course.slug)["save"], {first: data[first]})
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    learner_client.post(urls(ready.course.slug)["submit"], data)
    attempt.refresh_from_db()
    assert attempt.timed_out
    assert attempt.score == 25
    page = learner_client.get(urls(ready.course.slug)["attempt"]).content
    assert b"Time ran out before you submitted" in page
    assert b"3 questions had no answer" in page


def test_grading_takes_a_fixed_number_of_queries(ready, django_assert_max_num_queries):
    from testing.models import Choice, Question

    counts = []
    user = ready.user
    for size in (3, 30):
        Question.objects.update(retired_at=timezone.now())
        wrong = {}
        for i in range(size):
            q = Question.objects.create(course=ready.course, order=i, text=f"Q{i}")
            Choice.objects.create(question=q, text="a", is_correct=True)
            wrong[q.pk] = Choice.objects.create(question=q, text="b").pk
        attempt = services.attempt_start(enrollment=ready)
        posted = {
            qid: "ab"[attempt.choice_ids[str(qid)].index(wrong[qid])]
            for qid in attempt.question_ids
        }
        with django_assert_max_num_queries(10) as captured:
            services.attempt_submit(attempt=attempt, user=user, posted=posted)
        counts.append(len(captured))
        services.attempt_void(attempt=attempt, reason="next size", actor_user=None)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("size", [3, 40])
def test_test_pages_have_a_query_budget(learner_client, ready, size, django_assert_max_num_queries):
    from testing.models import Choice, Question

    for i in range(size):
        q = Question.objects.create(course=ready.course, order=i, text=f"Q{i}")
        Choice.objects.create(question=q, text="a", is_correct=True)
        Choice.objects.create(question=q, text="b")
    slug = ready.course.slug
    with django_assert_max_num_queries(11):
        assert learner_client.get(urls(slug)["home"]).status_code == HTTPStatus.OK
    start(learner_client, ready.course)
    with django_assert_max_num_queries(8):
        assert learner_client.get(urls(slug)["attempt"]).status_code == HTTPStatus.OK
    learner_client.post(urls(slug)["submit"], CONFIRMED)
    with django_assert_max_num_queries(10):
        assert learner_client.get(urls(slug)["attempt"]).status_code == HTTPStatus.OK


def test_submitting_with_unanswered_questions_asks_first_and_keeps_the_answers(
    learner_client, ready, bank
):
    attempt = start(learner_client, ready.course)
    data = answers_for(attempt, bank, 4)
    first_two = dict(list(data.items())[:2])
    response = learner_client.post(urls(ready.course.slug)["submit"], first_two)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == urls(ready.course.slug)["attempt"] + "?unanswered#unanswered"
    attempt.refresh_from_db()
    assert attempt.is_open  # not graded yet
    assert Answer.objects.filter(attempt=attempt).count() == 2  # but the answers are kept
    page = learner_client.get(response["Location"]).content.decode()
    assert "2 questions have no answer yet" in page
    assert '<a href="#question-3">Question 3</a>' in page
    assert '<a href="#question-4">Question 4</a>' in page
    assert '<fieldset class="question question-unanswered" id="question-3">' in page
    assert 'form="post-test-form" name="unanswered" value="confirmed"' in page
    assert "Submit now, with 2 unanswered" in page
    assert "<script>" not in page  # no inline script (CSP)


def test_learner_confirms_and_the_unanswered_questions_count_as_incorrect(
    learner_client, ready, bank
):
    attempt = start(learner_client, ready.course)
    data = answers_for(attempt, bank, 4)
    first_three = dict(list(data.items())[:3])
    learner_client.post(urls(ready.course.slug)["submit"], first_three)
    learner_client.post(urls(ready.course.slug)["submit"], CONFIRMED)
    attempt.refresh_from_db()
    assert attempt.status == "submitted"
    assert attempt.score == 75
    assert attempt.passed


def test_learner_answers_the_rest_after_the_warning_and_is_not_asked_again(
    learner_client, ready, bank
):
    attempt = start(learner_client, ready.course)
    data = answers_for(attempt, bank, 4)
    items = list(data.items())
    learner_client.post(urls(ready.course.slug)["submit"], dict(items[:1]))
    learner_client.post(urls(ready.course.slug)["submit"], dict(items[1:]))
    attempt.refresh_from_db()
    assert attempt.score == 100


def test_the_warning_is_shown_only_after_a_submit(learner_client, ready, bank):
    start(learner_client, ready.course)
    page = learner_client.get(urls(ready.course.slug)["attempt"]).content.decode()
    assert "no answer yet" not in page


def test_time_up_grades_at_once_without_asking(learner_client, ready, bank):
    Rules.objects.filter(course=ready.course).update(time_limit_minutes=10)
    attempt = start(learner_client, ready.course)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    learner_client.post(urls(ready.course.slug)["submit"], {})
    attempt.refresh_from_db()
    assert attempt.status == "submitted"
    assert attempt.timed_out


def test_home_and_result_show_attempts_left_and_the_wait(learner_client, ready, bank):
    Rules.objects.filter(course=ready.course).update(max_attempts=3, wait_minutes=30)
    home = learner_client.get(urls(ready.course.slug)["home"]).content.decode()
    assert "Attempts used: 0 of 3; <strong>3 left</strong>." in home
    assert "Attempts: 3, with 30 minutes between attempts." in home
    start(learner_client, ready.course)
    learner_client.post(urls(ready.course.slug)["submit"], CONFIRMED)
    attempt = Attempt.objects.get()
    ready_at = timezone.localtime(attempt.submitted_at + timedelta(minutes=30))
    result = learner_client.get(urls(ready.course.slug)["attempt"]).content.decode()
    home = learner_client.get(urls(ready.course.slug)["home"]).content.decode()
    for page in (result, home):
        assert "Attempts used: 1 of 3; <strong>2 left</strong>." in page
        assert "You can start the next attempt at <strong>" in page
        assert ready_at.strftime("%-I:%M") in page
        assert "You can try again in 30 minute(s)." in page


def test_unlimited_attempts_are_said_once(learner_client, ready, bank):
    home = learner_client.get(urls(ready.course.slug)["home"]).content.decode()
    assert home.count("Attempts: unlimited.") == 1
    start(learner_client, ready.course)
    learner_client.post(urls(ready.course.slug)["submit"], CONFIRMED)
    result = learner_client.get(urls(ready.course.slug)["attempt"]).content.decode()
    assert result.count("Attempts: unlimited.") == 1


def test_a_voided_attempt_says_so_and_does_not_count(learner_client, ready, bank):
    Rules.objects.filter(course=ready.course).update(max_attempts=1)
    attempt = start(learner_client, ready.course)
    services.attempt_void(attempt=attempt, reason="Broken question", actor_user=None)
    result = learner_client.get(urls(ready.course.slug)["attempt"]).content.decode()
    assert "Attempt 1: voided" in result
    assert "Broken question" not in result  # the reason is the Director's note
    assert "Attempts used: 0 of 1" in result
    home = learner_client.get(urls(ready.course.slug)["home"]).content.decode()
    assert "voided by the Director; it does not count" in home
    response = learner_client.post(
        urls(ready.course.slug)["save"],
        answers_for(attempt, bank, 1),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "The Director voided this attempt" in response.json()["error"]
    assert start(learner_client, ready.course).number == 2


def test_every_status_change_of_an_attempt_has_a_history_row(learner_client, ready, bank):
    attempt = start(learner_client, ready.course)
    learner_client.post(urls(ready.course.slug)["submit"], CONFIRMED)
    rows = list(attempt.status_changes.values_list("from_status", "to_status", "actor"))
    assert rows == [("", "open", "learner"), ("open", "submitted", "learner")]
    assert {c.actor_user for c in attempt.status_changes.all()} == {ready.user}


def test_a_graded_attempt_cannot_move_again(ready, bank):
    from records.transitions import IllegalTransition, status_move

    attempt = services.attempt_start(enrollment=ready)
    services.attempt_submit(attempt=attempt, user=ready.user, posted={})
    with pytest.raises(IllegalTransition):
        status_move(attempt, to="open", actor="director")
    attempt.refresh_from_db()
    assert attempt.status == "submitted"


@pytest.mark.parametrize("size", [3, 40])
def test_the_unanswered_warning_and_evaluation_pages_have_a_query_budget(
    learner_client, ready, size, evaluation_items, django_assert_max_num_queries
):
    from testing.models import Choice, Question

    for i in range(size):
        q = Question.objects.create(course=ready.course, order=i, text=f"Q{i}")
        Choice.objects.create(question=q, text="a", is_correct=True)
        Choice.objects.create(question=q, text="b")
    slug = ready.course.slug
    attempt = start(learner_client, ready.course)
    learner_client.post(urls(slug)["submit"], {})
    with django_assert_max_num_queries(8):
        page = learner_client.get(urls(slug)["attempt"] + "?unanswered")
    assert b"no answer yet" in page.content
    key = dict(Choice.objects.filter(is_correct=True).values_list("question_id", "pk"))
    right = {q: "abc"[attempt.choice_ids[str(q)].index(key[q])] for q in attempt.question_ids}
    services.attempt_submit(attempt=attempt, user=ready.user, posted=right)
    with django_assert_max_num_queries(9):
        page = learner_client.post(reverse("testing:evaluation", args=[slug]), {})
    assert b"Please answer the questions marked below" in page.content
