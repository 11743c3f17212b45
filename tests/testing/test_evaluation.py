import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from testing import services
from testing.models import EvaluationAnswer, EvaluationResponse
from tests.testing.conftest import answers_for

pytestmark = pytest.mark.django_db


def pass_test(client, enrollment, bank):
    attempt = services.attempt_start(enrollment=enrollment)
    client.post(
        reverse("testing:submit", args=[enrollment.course.slug, attempt.number]),
        answers_for(attempt, bank, 4),
    )


def test_evaluation_waits_for_a_passed_test(client, ready, bank, evaluation_items):
    client.force_login(ready.user)
    url = reverse("testing:evaluation", args=[ready.course.slug])
    response = client.post(url, {f"item_{evaluation_items[0].pk}": "5"}, follow=True)
    assert b"opens after you pass the post-test" in response.content
    assert not EvaluationResponse.objects.exists()


def test_learner_submits_the_evaluation_once(client, ready, bank, evaluation_items):
    client.force_login(ready.user)
    pass_test(client, ready, bank)
    url = reverse("testing:evaluation", args=[ready.course.slug])
    first, second, comments = evaluation_items
    data = {f"item_{first.pk}": "5", f"item_{second.pk}": "4", f"item_{comments.pk}": "Great"}
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    client.post(url, {f"item_{first.pk}": "1", f"item_{second.pk}": "1"})
    assert EvaluationResponse.objects.count() == 1
    assert sorted(EvaluationAnswer.objects.values_list("rating", flat=True), key=str) == [
        4,
        5,
        None,
    ]
    home = client.get(reverse("enrollment:course_home", args=[ready.course.slug])).content
    assert b"Submit the course evaluation" in home
    assert home.count(b"(done)") >= 2


@pytest.mark.parametrize("bad", ["", "0", "6", "five", "<script>"])
def test_missing_or_tampered_ratings_are_refused_and_keep_the_answers(
    client, ready, bank, evaluation_items, bad
):
    client.force_login(ready.user)
    pass_test(client, ready, bank)
    first, second, comments = evaluation_items
    response = client.post(
        reverse("testing:evaluation", args=[ready.course.slug]),
        {f"item_{first.pk}": bad, f"item_{second.pk}": "3", f"item_{comments.pk}": "Kept text"},
    )
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Choose one answer, from “Strongly agree” to “Strongly disagree”." in page
    radios = re.findall(rf'<input type="radio" id="item{first.pk}-\d"[^>]*>', page)
    assert len(radios) == 5
    assert all(
        'aria-invalid="true"' in r and f'aria-describedby="err-{first.pk}"' in r for r in radios
    )
    assert f'<a href="#item{first.pk}-5">' in page  # the error summary links to the field
    assert "<title>Error: " in page
    assert b"Kept text" in response.content
    assert not EvaluationResponse.objects.exists()


def test_director_sees_results_and_exports_them(client, director, ready, bank, evaluation_items):
    client.force_login(ready.user)
    pass_test(client, ready, bank)
    first, second, comments = evaluation_items
    client.post(
        reverse("testing:evaluation", args=[ready.course.slug]),
        {f"item_{first.pk}": "5", f"item_{second.pk}": "2", f"item_{comments.pk}": "=cmd|x"},
    )
    client.force_login(director)
    changelist = client.get(reverse("admin:testing_evaluationresponse_changelist"))
    assert f"Results: {ready.course.title} (1)".encode() in changelist.content
    summary = client.get(reverse("admin:testing_evaluation_summary", args=[ready.course.pk]))
    body = summary.content.decode()
    assert "1 evaluation submitted" in body
    assert "5.00" in body
    assert "2.00" in body
    assert "=cmd|x" in body
    csv_text = client.get(
        reverse("admin:testing_evaluation_csv", args=[ready.course.pk])
    ).content.decode()
    assert ready.user.email in csv_text
    assert "'=cmd|x" in csv_text  # a spreadsheet will not run it as a formula
