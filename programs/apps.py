from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ProgramsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from certificates.hooks import code_resolvers, transcript_panels
        from certificates.models import Certificate
        from courses.caching import clear_page_cache
        from courses.hooks import program_link_providers
        from enrollment.hooks import my_courses_panels
        from enrollment.pagecache import learner_pages_follow

        from . import credentials, models, progress

        # The program page, the catalog's programs list and the course pages' links are
        # cached for anonymous visitors: a program or its course list changing (admin
        # inline rows, or program.courses.add/remove/set, which send no post_save)
        # replaces the catalog version; a member course changing does too (courses.apps).
        for model in (models.Program, models.ProgramCourse):
            post_save.connect(clear_page_cache, sender=model, dispatch_uid=f"pages-{model}")
            post_delete.connect(clear_page_cache, sender=model, dispatch_uid=f"pages-d-{model}")
        m2m_changed.connect(
            clear_page_cache, sender=models.Program.courses.through, dispatch_uid="pages-m2m"
        )
        # Every change of a course certificate (issued, revoked by a refund or the
        # director, reissued, reinstated) may complete a program or take a course out.
        post_save.connect(
            credentials.on_certificate_change,
            sender=Certificate,
            dispatch_uid="programs-certificate-change",
        )
        # What a learner's cached pages show (enrollment.pagecache), changed by anyone.
        learner_pages_follow(models.ProgramCredential, lambda row: row.user_id)
        learner_pages_follow(models.ProgramPurchase, lambda row: row.user_id)
        if progress.program_links not in program_link_providers:
            program_link_providers.append(progress.program_links)
        if credentials.verification_url_for_code not in code_resolvers:
            code_resolvers.append(credentials.verification_url_for_code)
        if progress.transcript_panel not in transcript_panels:
            transcript_panels.append(progress.transcript_panel)
        if progress.my_courses_panel not in my_courses_panels:
            my_courses_panels.append(progress.my_courses_panel)
