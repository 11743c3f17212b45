from django.core.management.base import BaseCommand

from enrollment.orders import orders_expire_stale


class Command(BaseCommand):
    help = (
        "Close pending orders whose Stripe Checkout Session expired (or was paid: then "
        "fulfil them) and orders whose checkout never started. Run daily (housekeeping)."
    )

    def handle(self, *args, **options) -> None:
        outcome = orders_expire_stale()
        for key, numbers in outcome.items():
            self.stdout.write(f"{key}: {len(numbers)} {' '.join(numbers)}".rstrip())
