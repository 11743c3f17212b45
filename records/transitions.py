"""The one way a record's status changes (records.models.StatusRecord)."""

from .events import event_log
from .models import StatusChange, StatusRecord


class IllegalTransition(Exception):
    """A move the record's transition table does not allow; nothing was written."""


def status_move(
    record: StatusRecord,
    *,
    to: str,
    actor: str,
    actor_user=None,
    note: str = "",
    update_fields: tuple[str, ...] | None = None,
    **change_fields,
) -> StatusChange:
    """Move `record` to status `to`, refusing illegal moves, and write its history row.

    The record is saved whole, or only the status and `update_fields` when they are
    given; `change_fields` fill extra columns of the history model (a Stripe event id).
    Call inside the transaction that holds the record's row lock.
    """
    if not record.can_move_to(to):
        raise IllegalTransition(
            f"{record._meta.verbose_name} {record.pk} cannot go from {record.status} to {to}"
        )
    change = record.status_changes.create(
        from_status=record.status,
        to_status=to,
        actor=actor,
        actor_user=actor_user,
        note=note[:500],
        **change_fields,
    )
    record.status = to
    if update_fields is None:
        record.save()
    else:
        fields = {"status", *update_fields}
        if any(f.name == "updated_at" for f in record._meta.concrete_fields):
            fields.add("updated_at")
        record.save(update_fields=sorted(fields))
    event_log(
        f"{record._meta.model_name}.status",
        id=record.pk,
        from_status=change.from_status,
        to_status=to,
        actor=actor,
        actor_user=getattr(actor_user, "pk", None),
    )
    return change


def status_start(record: StatusRecord, *, actor: str, actor_user=None, note: str = ""):
    """The first history row of a new record: how it came to be in its initial status."""
    return record.status_changes.create(
        from_status="", to_status=record.status, actor=actor, actor_user=actor_user, note=note
    )
