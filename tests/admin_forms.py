"""Post an admin change form as a browser would: every field and inline row as shown."""

from django.db.models.fields.files import FieldFile


def _put(data: dict, name: str, value) -> None:
    if value is None or isinstance(value, FieldFile):
        return  # an empty field, or a stored file the browser would not send again
    if value is True:
        data[name] = "on"
    elif value is False:
        return
    elif isinstance(value, list | tuple):
        data[name] = [str(v) for v in value]
    else:
        data[name] = str(value)


def admin_form_data(response) -> dict:
    """The POST data of the admin change form rendered in `response`, unchanged."""
    data: dict = {}
    form = response.context["adminform"].form
    for name in form.fields:
        _put(data, form.add_prefix(name), form[name].value())
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for row in formset.forms:
            for name in row.fields:
                _put(data, row.add_prefix(name), row[name].value())
    return data
