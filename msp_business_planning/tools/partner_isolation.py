"""Partner isolation: what a partner's user (portal or public) may reach.

Partners are competitors. A domain, an order or a group-by is a question to the
database, and a yes/no answer is enough to read a text character by character, so
for a partner's user every field path they name is checked segment by segment: each
field must be readable by the user, and no segment may lead into the vendor's
chatter records (messages, activities, followers, attachments, tracking), which Odoo
joins without record rules (``auto_join``).

Plain functions over ORM models, so every model of the addon and ``crm.lead`` use
the same rules (see ``msp.partner.isolation.mixin``).
"""

from odoo.exceptions import AccessError

from . import compat

# What staff wrote, planned, attached or who follows: never a step of a partner's
# search path, whatever comes after it.
STAFF_COMODELS = frozenset(
    {
        "mail.message",
        "mail.activity",
        "mail.followers",
        "ir.attachment",
        "mail.tracking.value",
        "mail.notification",
    }
)
# What a partner's user may ask of a thread's chatter data (``/mail/thread/data``):
# the files of the messages it may read (filtered in the thread mixin) and the name.
# Activities, followers, scheduled messages and suggested recipients are staff's.
PARTNER_THREAD_REQUESTS = frozenset({"attachments", "display_name"})
# The messages a partner's user may read on a record: public comments and
# notifications, never a note, an activity report or a subtype-less log.
PUBLIC_MESSAGE_DOMAIN = [
    ("message_type", "!=", "user_notification"),
    ("is_internal", "=", False),
    ("subtype_id", "!=", False),
    ("subtype_id.internal", "=", False),
]


# The mixins that bring the chatter onto a model: every field they add (message_*,
# activity_*, has_message...) is computed from the chatter records above, so each is a
# question about them (``has_message``, ``message_has_error``,
# ``activity_exception_decoration``), whether or not it names their model.
CHATTER_MIXINS = ("mail.thread", "mail.activity.mixin")


def chatter_field_names(env):
    """Names of the fields the chatter mixins add to a model (not the magic fields
    every model has)."""
    base = set(env["base"]._fields)
    names = set()
    for mixin in CHATTER_MIXINS:
        if mixin in env:
            names |= set(env[mixin]._fields) - base
    return names


def is_partner_user(env):
    """Whether ``env`` acts for someone outside the vendor's company (portal or
    public user), the ones these rules apply to. Superuser mode is code of the
    addon that checked access first."""
    return not env.su and not env.user._is_internal()


def _refuse(model, path):
    raise AccessError(
        model.env._(
            "You cannot search, sort or group %(model)s by “%(path)s”.",
            model=model._description,
            path=path,
        )
    )


def check_field_path(model, path):
    """Check ``path`` (``"review_ids.internal_note"``) from ``model`` segment by
    segment; return the model it ends on (None for a plain field or an unknown
    name, which Odoo refuses itself)."""
    current = model
    chatter_fields = chatter_field_names(model.env)
    for name in path.split("."):
        field = current._fields.get(name)
        if field is None:
            return None
        if field.comodel_name in STAFF_COMODELS or name in chatter_fields:
            _refuse(model, path)
        try:
            compat.check_field_access(current, "read", [name])
        except AccessError:
            _refuse(model, path)
        if field.related and not field.store:
            # A related field is searched through the path it stands for.
            related = field.related if isinstance(field.related, str) else ".".join(field.related)
            check_field_path(current, related)
        if not field.relational:
            return None
        current = current.env[field.comodel_name]
    return current


def check_domain(model, domain):
    """Check every field path of ``domain`` (sub-domains of ``any`` included).
    Lists, tuples and Odoo 19's ``Domain`` objects iterate the same way: operators
    and condition triples."""
    for leaf in domain or ():
        if not isinstance(leaf, list | tuple) or len(leaf) != 3 or not isinstance(leaf[0], str):
            continue
        path, operator, value = leaf
        # ``having`` names aggregates (``amount:sum``): the path is before the colon.
        comodel = check_field_path(model, path.split(":")[0])
        if (
            comodel is not None
            and operator in ("any", "not any")
            and isinstance(value, list | tuple)
        ):
            check_domain(comodel, value)


def check_specs(model, specs):
    """Check group-by and aggregate specs (``"date:month"``, ``"plan_id.name"``,
    ``"weight:sum"``, ``"__count"``)."""
    for spec in specs or ():
        if isinstance(spec, str) and not spec.startswith("__"):
            check_field_path(model, spec.split(":")[0])


def check_order(model, order):
    """Check every term of an order (``"name desc, plan_id.name"``)."""
    if not isinstance(order, str):
        return
    for term in order.split(","):
        words = term.split()
        if words and not words[0].startswith("__"):
            check_field_path(model, words[0].split(":")[0].strip('"'))
