from django.dispatch import Signal

# Sent when a learner loses access to a course (refund, director's decision), with
# `enrollment` and `reason`. Apps to the right (testing, certificates) connect to it:
# the one place where the dependency arrow turns around (DESIGN.md).
enrollment_revoked = Signal()
