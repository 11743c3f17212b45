"""Abstract bases for records with a status and their history rows.

A concrete record sets `TRANSITIONS` (status -> the statuses it may move to next) and has
a history model that subclasses `StatusChange` with a foreign key whose related_name is
`status_changes`. `records.transitions.status_move` is the only writer of `status`.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models


class Actor(models.TextChoices):
    LEARNER = "learner", "Learner"
    DIRECTOR = "director", "Director"
    WEBHOOK = "webhook", "Stripe webhook"
    SYSTEM = "system", "System"


class StatusRecord(models.Model):
    """A record whose status moves only along TRANSITIONS."""

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {}

    class Meta:
        abstract = True

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())


class StatusChange(models.Model):
    """One change of a record's status: from, to, who (actor and user), why, when."""

    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.CharField(max_length=10, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField("why", max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status} ({self.get_actor_display()})"
