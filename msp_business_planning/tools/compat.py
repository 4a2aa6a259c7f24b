"""Odoo 18.0 / 19.0 differences: the ONLY place of the addon that branches on the version.

Everything else calls these names and reads the same on both series. Each branch says
which version needs which side; once 18.0 is dropped, each name can be replaced by its
19.0 side (and this module by Odoo's own API).

Python:
    Constraint("CHECK(...)", "message")   a SQL constraint, as a class attribute ``_name``
    declared_constraints(model)           {database name: definition} the ORM creates
    Domain.AND / Domain.OR / Domain.normalize / Domain.is_true
    PREFETCH_MAX, INSERT_BATCH_SIZE
    GROUPS_FIELD ("groups_id" | "group_ids") on res.users and actions
    GROUP_USERS_FIELD ("users" | "user_ids") on res.groups
    implied_groups(group)                 every group ``group`` implies, transitively
    user_groups(user)                     every group of a user, implied ones included
    group_category(group)                 its heading on the user form (via 19.0's privilege)
    has_field_access(records, operation, field_name) / check_field_access(records, op, names)
    read_group(model, domain, groupby)    the public grouped read, ``__count`` a group (tests)
    port_vals(model_name, vals)           18.0 field names of a vals dict, for this version
    set_group_privilege(env, ...)         our groups under one category (18) / privilege (19)
    route_readonly_unless_post            ``readonly`` of a GET form / POST submission route
    cron_commit_progress(env, done, remaining)   report a cron batch (and commit it)
    cache_update(records, field, values)  stored values into the cache in bulk
Tests: MAIL_THREAD_DATA_ROUTE + mail_thread_data_params(...), uploaded_attachment(answer),
message_post_params(...), warm_static_files().
Tours: static/tests/tours/tour_compat.js, unloads(step).
"""

from odoo import http, release
from odoo.http import request

# The running series, as a tuple: (18, 0) or (19, 0).
SERIES = tuple(release.version_info[:2])
V19 = SERIES >= (19, 0)

if V19:  # 19.0: odoo.fields.Domain (odoo.osv.expression is deprecated and warns)
    from odoo.fields import Domain as _Domain
    from odoo.orm.domains import CONDITION_OPERATORS as _OPERATORS
else:  # 18.0: no Domain class, the functions of odoo.osv.expression
    from odoo.osv import expression as _expression

if V19:  # 19.0: PREFETCH_MAX moved to odoo.tools.constants (not in odoo.models any more)
    from odoo.tools.constants import PREFETCH_MAX
else:  # 18.0: odoo.models.PREFETCH_MAX
    from odoo.models import PREFETCH_MAX  # noqa: F401 (re-exported)

# Most rows the ORM inserts in one statement (tests of query budgets).
if V19:  # 19.0: in odoo.orm.models, not re-exported by odoo.models
    from odoo.orm.models import INSERT_BATCH_SIZE
else:  # 18.0: odoo.models
    from odoo.models import INSERT_BATCH_SIZE  # noqa: F401 (re-exported)

# 19.0: models.Constraint class attributes (_sql_constraints is ignored, with a warning)
if V19:
    from odoo.models import Constraint
else:

    class Constraint:
        """18.0: a ``models.Constraint`` look-alike that adds itself to the model
        class's own ``_sql_constraints`` (name without the leading underscore, as on
        19.0: the database constraint is ``<table>_<name>`` on both versions)."""

        def __init__(self, definition, message=""):
            self.definition = definition
            self.message = message

        def __set_name__(self, owner, name):
            assert name.startswith("_"), "Names of SQL constraints must start with '_'"
            if "_sql_constraints" not in owner.__dict__:
                # never the inherited list of BaseModel: one list per class
                owner._sql_constraints = []
            owner._sql_constraints.append((name[1:], self.definition, self.message))


def declared_constraints(model):
    """{database name: definition} of the SQL constraints the model declares (its
    own and inherited ones), as the ORM will create them in its table."""
    if V19:  # 19.0: Constraint objects of the registry class
        return {
            obj.full_name(model): obj.get_definition(model.pool)
            for obj in model._table_objects.values()
            if isinstance(obj, Constraint)
        }
    return {
        f"{model._table}_{name}": definition for name, definition, _msg in model._sql_constraints
    }


class Domain:
    """Domain combinations that read the same on both versions."""

    @staticmethod
    def AND(domains):
        if V19:  # 19.0: a Domain object (a list-like domain for search and _search)
            return _Domain.AND(domains)
        return _expression.AND(domains)  # 18.0

    @staticmethod
    def OR(domains):
        if V19:  # 19.0
            return _Domain.OR(domains)
        return _expression.OR(domains)  # 18.0

    @staticmethod
    def normalize(domain):
        """The domain in its prefix-notation list form; ValueError/TypeError when
        it is malformed."""
        if V19:  # 19.0: Domain() parses and validates the structure
            # (it accepts an upper-case operator, with a deprecation warning)
            for leaf in domain:
                if isinstance(leaf, list | tuple) and len(leaf) == 3 and leaf[1] not in _OPERATORS:
                    raise ValueError(f"Invalid operator {leaf[1]!r} in {leaf!r}")
            return list(_Domain(domain))
        return _expression.normalize_domain(domain)  # 18.0

    @staticmethod
    def is_true(domain):
        """Whether the domain is empty or always true."""
        if not domain:
            return True
        if V19:  # 19.0
            return _Domain(domain).is_true()
        return list(domain) == [_expression.TRUE_LEAF]  # 18.0


# Field names that 19.0 renamed.
if V19:  # 19.0: group_ids (res.users, ir.actions.*, ir.ui.menu), user_ids (res.groups)
    GROUPS_FIELD = "group_ids"
    GROUP_USERS_FIELD = "user_ids"
else:  # 18.0: groups_id, users
    GROUPS_FIELD = "groups_id"
    GROUP_USERS_FIELD = "users"

_RENAMED_19 = {"groups_id": "group_ids", "users": "user_ids"}
_RENAMED_MODELS_19 = {
    "res.users": {"groups_id"},
    "res.groups": {"users"},
    "ir.actions.server": {"groups_id"},
    "ir.actions.report": {"groups_id"},
    "ir.actions.act_window": {"groups_id"},
    "ir.ui.menu": {"groups_id"},
}


def port_vals(model_name, vals):
    """``vals`` written with 18.0's field names, for the running version."""
    if not V19:  # 18.0: the names as they are
        return dict(vals)
    renamed = _RENAMED_MODELS_19.get(model_name, ())  # 19.0
    return {(_RENAMED_19[key] if key in renamed else key): value for key, value in vals.items()}


def implied_groups(group):
    """The groups that ``group`` implies, transitively (not ``group`` itself)."""
    if V19:  # 19.0: all_implied_ids includes the group itself
        return group.all_implied_ids - group
    return group.trans_implied_ids  # 18.0


def group_category(group):
    """The category (application heading of the user form) of ``group``."""
    if V19:  # 19.0: through the group's privilege
        return group.privilege_id.category_id
    return group.category_id  # 18.0


def user_groups(user):
    """Every group of ``user``, implied ones included."""
    if V19:  # 19.0: all_group_ids (group_ids holds the explicit ones only)
        return user.all_group_ids
    return user.groups_id  # 18.0: groups_id holds the implied groups too


def has_field_access(records, operation, field_name):
    """Whether the current user may ``operation`` ('read' or 'write') the field."""
    field = records._fields[field_name]
    if V19:  # 19.0: _has_field_access(field, operation)
        return records._has_field_access(field, operation)
    return field.is_accessible(records.env)  # 18.0: groups only, as for reading


def check_field_access(records, operation, field_names):
    """AccessError unless the current user may ``operation`` ('read' or 'write')
    every field of ``field_names``."""
    if V19:  # 19.0: _check_field_access(field, operation), one field at a time
        for name in field_names:
            records._check_field_access(records._fields[name], operation)
        return
    records.check_field_access_rights(operation, list(field_names))  # 18.0


def read_group(model, domain, groupby, aggregates=("__count",)):
    """The public (RPC) grouped read, as the web client calls it: a list of dicts,
    one a group, with the groupby values, the group's record count ``__count`` and
    each aggregate under its spec (``"score:avg"``). A bare field name (``"weight"``)
    asks for the field's own aggregator, as the web client's list and pivot do: it
    is in the groups only when the field has one."""
    specs = [spec for spec in aggregates if spec != "__count"]
    if V19:  # 19.0: formatted_read_group (read_group is deprecated and warns)
        asked, renamed = ["__count"], {}
        for spec in specs:
            if ":" in spec:
                asked.append(spec)
            elif model._fields[spec].aggregator:
                asked.append(f"{spec}:{model._fields[spec].aggregator}")
                renamed[asked[-1]] = spec
        groups = model.formatted_read_group(domain, list(groupby), asked)
        for group in groups:
            for spec, name in renamed.items():
                group[name] = group.pop(spec)
        return groups
    # 18.0: read_group, aggregates named after their field
    # (the grouped fields by name: "date:day" in ``fields`` would be an aggregate)
    grouped = [spec.split(":")[0] for spec in groupby]
    groups = model.read_group(domain, [*specs, *grouped], list(groupby), lazy=False)
    for group in groups:
        for spec in specs:
            name = spec.split(":")[0]
            if ":" in spec and name in group:
                group[spec] = group.pop(name)
    return groups


def web_read_group(model, domain, groupby):
    """The groups of a kanban or list grouped by ``groupby`` (one field), as the web
    client reads them: ``web_read_group``'s groups, each with its record count under
    ``__count`` and ``__fold`` when folded (tests)."""
    if V19:  # 19.0: (domain, groupby, aggregates...), the count is __count; the web
        # client asks for the empty groups of group_expand with read_group_expand
        model = model.with_context(read_group_expand=True)
        return model.web_read_group(domain, [groupby])["groups"]
    # 18.0: (domain, fields, groupby, lazy...), the count is <field>_count
    groups = model.web_read_group(domain, [groupby], [groupby], lazy=True)["groups"]
    for group in groups:
        group["__count"] = group.get(f"{groupby}_count", group.get("__count"))
    return groups


# mail's "thread data" JSON route, which the chatter calls (tests): /mail/data with a
# fetch_params list on 19.0, /mail/thread/data on 18.0.
MAIL_THREAD_DATA_ROUTE = "/mail/data" if V19 else "/mail/thread/data"


def uploaded_attachment(answer):
    """(id, token) of the attachment in the JSON answer of /mail/attachment/upload: the
    token to give with ``message_post_params`` to attach it to a message."""
    if V19:  # 19.0: store data, and an ownership token
        data = answer["data"]
        [attachment] = [
            a for a in data["store_data"]["ir.attachment"] if a["id"] == data["attachment_id"]
        ]
        return attachment["id"], attachment["ownership_token"]
    [attachment] = answer["data"]["ir.attachment"]  # 18.0: the access token
    return attachment["id"], attachment["access_token"]


def message_post_params(thread_model, thread_id, post_data, attachment_tokens=()):
    """The JSON-RPC params of /mail/message/post; ``attachment_tokens`` for the
    ``attachment_ids`` of ``post_data`` (see ``uploaded_attachment``)."""
    params = {"thread_model": thread_model, "thread_id": thread_id, "post_data": dict(post_data)}
    if attachment_tokens:
        if V19:  # 19.0: the tokens are part of post_data
            params["post_data"]["attachment_tokens"] = list(attachment_tokens)
        else:  # 18.0: a parameter of their own
            params["attachment_tokens"] = list(attachment_tokens)
    return params


def mail_thread_data_params(thread_model, thread_id, request_list, access_params=None):
    """The JSON-RPC params of MAIL_THREAD_DATA_ROUTE for one thread; ``access_params``
    what a share link's visitor adds (``{"token": ...}``)."""
    if V19:  # 19.0: one fetch_params entry, the access parameters apart
        return {
            "fetch_params": [
                [
                    "mail.thread",
                    {
                        "thread_model": thread_model,
                        "thread_id": thread_id,
                        "request_list": request_list,
                        "access_params": dict(access_params or {}),
                    },
                ]
            ]
        }
    return {  # 18.0: flat parameters
        "thread_model": thread_model,
        "thread_id": thread_id,
        "request_list": request_list,
        **(access_params or {}),
    }


def rpc_read_group_call(domain, groupby):
    """``(method, args)`` of the grouped read a web client sends over JSON-RPC (tests
    of what a client may ask)."""
    if V19:  # 19.0: formatted_read_group(domain, groupby, aggregates)
        return "formatted_read_group", [domain, list(groupby), ["__count"]]
    return "read_group", [domain, list(groupby), list(groupby)]  # 18.0: (domain, fields, groupby)


# Whether a partner's user may attach its own upload to a message by calling
# message_post over JSON-RPC: 18.0 links it; 19.0 refuses any file linked by a portal
# user outside the chatter route (no write access on ir.attachment).
PORTAL_RPC_POST_LINKS_OWN_UPLOADS = not V19


def set_group_privilege(env, module, category_xmlid, privilege_name, group_xmlids, sequence=100):
    """Put our groups under one heading of the user form: ``category_xmlid`` on
    18.0, a ``res.groups.privilege`` of that category on 19.0 (xml id
    ``<module>.res_groups_privilege_<category name>``, created or updated here and
    removed with the module)."""
    category = env.ref(category_xmlid)
    groups = env["res.groups"].browse([env.ref(xmlid).id for xmlid in group_xmlids])
    if not V19:  # 18.0: groups belong to a category directly
        groups.write({"category_id": category.id})
        return
    # 19.0: groups belong to a privilege, which belongs to the category
    privilege = env["res.groups.privilege"]._load_records(
        [
            {
                "xml_id": f"{module}.res_groups_privilege_{category_xmlid.split('.')[-1]}",
                "values": {
                    "name": privilege_name,
                    "category_id": category.id,
                    "sequence": sequence,
                },
                "noupdate": False,
            }
        ]
    )
    groups.write({"privilege_id": privilege.id})


def route_readonly_unless_post(controller, *route_args):
    """``readonly`` of an ``http.route`` serving a form (GET, read-only: the replica
    may answer) and its submission (POST, read/write: the primary). Odoo calls it
    with the controller on 18.0, with the controller, the rule and its arguments on
    19.0; the answer depends on the request only."""
    return request.httprequest.method not in ("POST", "PUT", "PATCH", "DELETE")


def cron_commit_progress(env, done, remaining):
    """Report a batch of a cron job to Odoo's cron runner and commit it: ``done``
    records of this call, ``remaining`` still to do (Odoo calls the job again, or
    reschedules it, while some remain). Outside a cron run (a test, a button, a settings
    change), nothing: the caller's transaction stays whole."""
    if not env.context.get("ir_cron_progress_id"):
        return
    if V19:  # 19.0: _commit_progress (_notify_progress is deprecated and warns)
        env["ir.cron"]._commit_progress(done, remaining=remaining)
        return
    # 18.0: _notify_progress records the figures, the caller commits
    env["ir.cron"]._notify_progress(done=done, remaining=remaining)
    env.cr.commit()


def cache_update(records, field, values):
    """Put ``values`` (one per record, as the cache holds them: numbers, selection
    keys) in the cache of ``field`` for ``records``, which are stored so already (the
    tracking engine's bulk writer). 18.0's ``env.cache.update`` fills the field's cache
    in one go; 19.0's makes a record and a call per value, so the field's cache mapping
    is filled directly (what its ``_update_cache`` does, for all the values at once)."""
    if V19:  # 19.0: Field._get_cache(env), the field's {record id: value} of this env
        field._get_cache(records.env).update(zip(records._ids, values, strict=True))
    else:  # 18.0: Cache.update, in bulk already
        records.env.cache.update(records, field, values)


def warm_static_files():
    """Tests: build the HTTP server's table of static folders now, in one thread.
    18.0 builds it on the first request for a file by parsing every manifest. A
    browser asks for many files at once, so several server threads parse together,
    and CPython 3.11.7 can fail then with "AST constructor recursion depth mismatch"
    (gh-106905). 19.0 builds no such table."""
    if not V19:
        getattr(http.root, "statics")  # noqa: B009 (reading the lazy property builds it)
