"""Adhérents: search and filters, create, edit, suspend, erase, RGPD export, CSV import and export.

A CSV import is shown as a preview (valid lines, invalid lines with their reason) before anything
is written; the uploaded file waits server-side in a private temporary folder, under a random key
bound to the user who sent it.
"""

import json
import os
import re
import secrets
import tempfile
import time

import bottle
from bottle import request

from vigie.daemon.core import audit, memberfile, members, naf2025, sectors, zones
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import Commune, OptOut
from vigie.daemon.core.reference import naf
from vigie.daemon.core.reference.french import plural

from .. import auth, forms
from ..render import flash, form, int_arg, json_answer, page, query, see_other

PAGE_SIZE = 50
CHAMBERS = {"": "—", "cci": "CCI (commerce et industrie)", "cma": "CMA (métiers et artisanat)",
            "ca": "Chambre d'agriculture"}
NAF_FIELDS = ("naf", "naf_rev2", "naf_2025")      # "naf": either nomenclature, recognised (older forms)
FIELDS = ("siret", "name", "sign", *NAF_FIELDS, "commune", "chamber", "contact", "email", "address", "notes",
          "consent_date", "consent_channel", "consent_version", "status")
UPLOAD_MAX_AGE = 3600
_KEY = re.compile(r"^[0-9a-f]{32}$")


def _actor() -> str:
    return auth.current_user().username


# --- list ---------------------------------------------------------------------------------

@auth.requires("members")
def list_page():
    filters = {k: query(k).strip() for k in ("q", "secteur", "commune", "zone", "chambre", "statut")}
    offset = int_arg(query("debut"), 0, minimum=0)
    error = ""
    try:
        rows, total = members.search(filters["q"], naf=filters["secteur"] or None,
                                     commune=filters["commune"] or None, zone=filters["zone"] or None,
                                     chamber=filters["chambre"] or None, status=filters["statut"] or None,
                                     offset=offset, limit=PAGE_SIZE)
    except (InvalidInput, NotFound) as e:
        rows, total, error = [], 0, getattr(e, "message", str(e))
        bottle.response.status = 400
    rows = members.as_dicts(rows)
    return page("members", title="Adhérents", rows=rows, total=total, offset=offset, page_size=PAGE_SIZE,
                filters=filters, error=error, groups=sectors.list_all(), zones_list=zones.list_all(),
                communes=forms.communes(), chambers=CHAMBERS, statuses=members.STATUS_LABELS,
                counts=members.count_by_status(), naf2025_todo=naf2025.todo_count())


# --- one member -------------------------------------------------------------------------------

def _form_values() -> dict:
    values = {k: form(k) for k in FIELDS}
    values["phones"] = form("phones")
    return values


def _fields(values: dict, *, skip=()) -> dict:
    """The member fields of a posted form; a NAF field the form does not carry is left out (a blank
    one it carries clears that code)."""
    return {k: values[k] for k in FIELDS if k not in skip and (k not in NAF_FIELDS or k in request.forms)}


def _phones_list(text: str) -> list[str]:
    return [line for line in re.split(r"[\n,;]+", text or "") if line.strip()]


def _opted_out(member) -> list[str]:
    """The member's phones that answered STOP (they receive no alert)."""
    if member is None:
        return []
    phones = members.phones_of(member)
    return [o.phone for o in OptOut.select().where(OptOut.phone.in_(phones))]


def _edit_page(member, values: dict, error: str = "", errors=None, status: int = 200):
    bottle.response.status = status
    return page("member", title=f"Adhérent {member.name}" if member else "Nouvel adhérent", member=member,
                values=values, error=error, errors=errors or {}, communes=forms.communes(),
                chambers=CHAMBERS, statuses={k: v for k, v in members.STATUS_LABELS.items() if k != "erased"},
                national=memberfile.national, opted_out=_opted_out(member),
                naf_candidates=_candidates(member))


def _candidates(member) -> list[str]:
    if member is None or not member.naf:
        return []
    try:
        return naf.counterparts(member.naf)
    except InvalidInput:
        return []


@auth.requires("members")
def new_page():
    return _edit_page(None, {k: "" for k in FIELDS} | {"phones": "", "status": "active"})


@auth.requires("members")
def create():
    values = _form_values()
    try:
        member = members.add(**_fields(values), phones=_phones_list(values["phones"]), actor=_actor())
    except InvalidInput as e:
        return _edit_page(None, values, e.message, {e.field: e.message}, status=400)
    flash(f"Adhérent « {member.name} » enregistré.")
    see_other(f"/adherents/{member.id}")


def _values_of(member) -> dict:
    data = members.as_dict(member)
    values = {k: data.get(k) or "" for k in FIELDS}
    values["commune"] = data["commune"] or ""
    values["naf_rev2"], values["naf"] = data["naf"] or "", ""
    values["phones"] = "\n".join(memberfile.national(p) for p in data["phones"])
    if re.match(r"^\d{4}-\d{2}-\d{2}$", values["consent_date"]):
        year, month, day = values["consent_date"].split("-")
        values["consent_date"] = f"{day}/{month}/{year}"
    return values


@auth.requires("members")
def edit_page(member_id: int):
    member = members.get(member_id)
    return _edit_page(member, _values_of(member))


@auth.requires("members")
def update(member_id: int):
    member = members.get(member_id)
    values = _form_values()
    fields = _fields(values, skip=("status",))
    try:
        members.update(member.id, actor=_actor(), phones=_phones_list(values["phones"]), **fields)
    except InvalidInput as e:
        return _edit_page(member, values | {"status": member.status}, e.message, {e.field: e.message},
                          status=400)
    flash("Modifications enregistrées.")
    see_other(f"/adherents/{member.id}")


@auth.requires("members")
def set_status(member_id: int):
    member = members.get(member_id)
    try:
        member = members.set_status(member.id, form("status"), _actor())
    except InvalidInput as e:
        return _edit_page(member, _values_of(member), e.message, {e.field: e.message}, status=400)
    flash(f"Statut de « {member.name} » : {members.STATUS_LABELS.get(member.status, member.status)}.")
    see_other(f"/adherents/{member.id}")


@auth.requires("members")
def erase_page(member_id: int):
    member = members.get(member_id)
    return page("erase", title="Effacer un adhérent", member=member, error="")


@auth.requires("members")
def erase(member_id: int):
    member = members.get(member_id)
    if form("confirm") != "oui":
        bottle.response.status = 400
        return page("erase", title="Effacer un adhérent", member=member,
                    error="Cochez la case de confirmation pour effacer cet adhérent.")
    members.erase(member.id, _actor())
    flash("Adhérent effacé : ses données personnelles ont été supprimées.")
    see_other("/adherents")


@auth.requires("members")
def personal_data(member_id: int):
    data = members.personal_data(member_id)
    bottle.response.set_header("Content-Disposition", f'attachment; filename="adherent-{member_id}.json"')
    audit.record(_actor(), "member.rgpd_export", data["member"]["siret"] or f"adhérent n° {member_id}")
    return json_answer(data)


# --- CSV import and export --------------------------------------------------------------------

def _upload_dir() -> str:
    return request.app.config["vigie.upload_dir"].name


def _upload_path(key: str) -> str:
    return os.path.join(_upload_dir(), f"{auth.current_user().id}-{key}.csv")


def _purge_old_uploads() -> None:
    limit = time.time() - UPLOAD_MAX_AGE
    for name in os.listdir(_upload_dir()):
        path = os.path.join(_upload_dir(), name)
        try:
            if os.path.getmtime(path) < limit:
                os.unlink(path)
        except OSError:
            pass


def _mapping_path(key: str) -> str:
    return os.path.join(_upload_dir(), f"{auth.current_user().id}-{key}.colonnes.json")


def _rejects_path(key: str) -> str:
    return os.path.join(_upload_dir(), f"{auth.current_user().id}-{key}.refus.csv")


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _load_mapping(key: str) -> dict | None:
    try:
        with open(_mapping_path(key), encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError):
        return None
    return {int(i): (f or None) for i, f in raw.items() if str(i).isdigit() and (not f or f in memberfile.FIELD_LABELS)}


def _valid_key(key: str) -> bool:
    return bool(_KEY.match(key or "")) and os.path.exists(_upload_path(key))


def _import_page(*, report=None, key="", filename="", error="", columns=(), notes=(), rejects_key="",
                 status=200):
    bottle.response.status = status
    names = {c.insee: c.name for c in Commune.select(Commune.insee, Commune.name)} if report else {}
    return page("import", title="Importer des adhérents", report=report, key=key, error=error,
                filename=filename, columns=list(columns), notes=list(notes), field_labels=memberfile.FIELD_LABELS,
                commune_names=names, rejects_key=rejects_key)


def _preview(key: str, data: bytes, filename: str, mapping: dict | None):
    # partial: the counts of members to create and update are worked out even when some lines are refused
    report = memberfile.import_members(data, actor=_actor(), dry_run=True, partial=True, columns=mapping)
    columns, notes = memberfile.read_columns(data, mapping)
    return _import_page(report=report, key=key if columns else "", filename=filename, columns=columns,
                        notes=notes)


@auth.requires("members")
def import_page():
    rejects = query("refus")
    shown = rejects if _KEY.match(rejects) and os.path.exists(_rejects_path(rejects)) else ""
    return _import_page(rejects_key=shown)


@auth.requires("members")
def import_upload():
    upload = request.files.get("file")
    if upload is None or not upload.raw_filename:
        return _import_page(error="Choisissez un fichier CSV à importer.", status=400)
    data = upload.file.read(memberfile.MAX_BYTES + 1)
    key = ""
    if len(data) <= memberfile.MAX_BYTES and data.strip():
        _purge_old_uploads()
        key = secrets.token_hex(16)
        fd = os.open(_upload_path(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        _write_private(_mapping_path(key), json.dumps({"filename": upload.raw_filename[:200]}).encode())
    return _preview(key, data, upload.raw_filename, None)


def _read_upload(key: str) -> tuple[bytes, str]:
    with open(_upload_path(key), "rb") as f:
        data = f.read()
    try:
        with open(_mapping_path(key), encoding="utf-8") as f:
            filename = json.load(f).get("filename", "")
    except (OSError, ValueError):
        filename = ""
    return data, filename


def _gone():
    return _import_page(error="Ce fichier n'est plus disponible (plus d'une heure ou déjà importé) : "
                              "envoyez-le de nouveau.", status=400)


@auth.requires("members")
def import_columns():
    """The mapping step: each column read as the user chose (a select per column), then a new preview."""
    key = form("key")
    if not _valid_key(key):
        return _gone()
    data, filename = _read_upload(key)
    header = memberfile.parse(data).header
    mapping = {}
    for index in range(len(header)):
        chosen = form(f"colonne_{index}")
        mapping[index] = chosen if chosen in memberfile.FIELD_LABELS else None
    _write_private(_mapping_path(key), json.dumps({"filename": filename, **{str(i): f or "" for i, f in mapping.items()}},
                                                  ensure_ascii=False).encode("utf-8"))
    return _preview(key, data, filename, mapping)


@auth.requires("members")
def import_commit():
    key = form("key")
    if not _valid_key(key):
        return _gone()
    data, filename = _read_upload(key)
    mapping = _load_mapping(key)
    partial = form("partial") == "1"
    report = memberfile.import_members(data, actor=_actor(), partial=partial, columns=mapping)
    if not report.ok and not partial:
        columns, notes = memberfile.read_columns(data, mapping)
        return _import_page(report=report, key=key, filename=filename, columns=columns, notes=notes,
                            error="Le fichier contient des erreurs : rien n'a été importé.", status=400)
    if report.rejected:
        _write_private(_rejects_path(key), memberfile.rejected_file(report))
    for path in (_upload_path(key), _mapping_path(key)):
        try:
            os.unlink(path)
        except OSError:
            pass
    message = f"Import terminé : {report.created} adhérent(s) créé(s), {report.updated} mis à jour."
    if report.errors:
        message += (f" {plural(len(report.errors), 'ligne refusée', 'lignes refusées')} : "
                    f"{'elle n’a' if len(report.errors) == 1 else 'elles n’ont'} pas été importée"
                    f"{'' if len(report.errors) == 1 else 's'}.")
    flash(message)
    see_other(f"/adherents/import?refus={key}" if report.rejected else "/adherents")


@auth.requires("members")
def import_rejects(key: str):
    """The refused lines of a file (before or after a partial import), in the file's own format."""
    if not _KEY.match(key):
        bottle.abort(404, "Fichier introuvable.")
    if os.path.exists(_rejects_path(key)):
        with open(_rejects_path(key), "rb") as f:
            data = f.read()
    elif _valid_key(key):
        upload, _ = _read_upload(key)
        data = memberfile.rejected_file(memberfile.parse(upload, _load_mapping(key)))
    else:
        bottle.abort(404, "Ce fichier n'est plus disponible (plus d'une heure) : importez de nouveau.")
    charset = "windows-1252" if not data.startswith(b"\xef\xbb\xbf") and _is_cp1252(data) else "utf-8"
    bottle.response.content_type = f"text/csv; charset={charset}"
    bottle.response.set_header("Content-Disposition", 'attachment; filename="lignes-refusees.csv"')
    bottle.response.set_header("Cache-Control", "no-store")
    return data


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@auth.requires("members")
def export_csv():
    bottle.response.content_type = "text/csv; charset=utf-8"
    bottle.response.set_header("Content-Disposition",
                               f'attachment; filename="adherents-{time.strftime("%Y%m%d")}.csv"')
    bottle.response.set_header("Cache-Control", "no-store")
    sector = query("secteur").strip() or None
    try:
        data = memberfile.export_members(sector=sector)
    except InvalidInput as e:
        bottle.abort(400, e.message)
    audit.record(_actor(), "member.export", sector or "")
    return data


# --- the passage to NAF 2025 ---------------------------------------------------------------------

@auth.requires("members")
def naf2025_page():
    """Members with a rév. 2 code and no NAF 2025 code: single links to apply at once, multiple ones to
    choose one by one (with the code SIRENE gave when a check has read it)."""
    plan = naf2025.plan()
    return page("naf2025", title="Passage à la NAF 2025", single=[i.as_dict() for i in plan.single],
                multiple=[i.as_dict() for i in plan.multiple], error="")


@auth.requires("members")
def naf2025_apply():
    result = naf2025.apply(actor=_actor())
    flash(f"{plural(len(result.applied), 'code NAF 2025 enregistré', 'codes NAF 2025 enregistrés')} par "
          f"correspondance unique ; {plural(len(result.multiple), 'adhérent reste', 'adhérents restent')} à choisir.")
    see_other("/adherents/naf2025")


@auth.requires("members")
def naf2025_choose(member_id: int):
    member = members.get(member_id)
    try:
        members.update(member.id, actor=_actor(), naf_2025=form("naf_2025"))
    except InvalidInput as e:
        plan = naf2025.plan()
        bottle.response.status = 400
        return page("naf2025", title="Passage à la NAF 2025", single=[i.as_dict() for i in plan.single],
                    multiple=[i.as_dict() for i in plan.multiple], error=f"{member.name} : {e.message}")
    flash(f"« {member.name} » : code NAF 2025 {members.get(member.id).naf_2025} enregistré.")
    see_other("/adherents/naf2025")


def register(app: bottle.Bottle) -> None:
    # Private (0700) and removed with the app: uploaded member files hold personal data.
    app.config["vigie.upload_dir"] = tempfile.TemporaryDirectory(prefix="vigie-import-")
    app.route("/adherents", "GET", list_page)
    app.route("/adherents/nouveau", "GET", new_page)
    app.route("/adherents/nouveau", "POST", create)
    app.route("/adherents/import", "GET", import_page)
    app.route("/adherents/import", "POST", import_upload)
    app.route("/adherents/import/colonnes", "POST", import_columns)
    app.route("/adherents/import/confirmer", "POST", import_commit)
    app.route("/adherents/import/<key>/refus.csv", "GET", import_rejects)
    app.route("/adherents/export.csv", "GET", export_csv)
    app.route("/adherents/naf2025", "GET", naf2025_page)
    app.route("/adherents/naf2025", "POST", naf2025_apply)
    app.route("/adherents/<member_id:int>/naf2025", "POST", naf2025_choose)
    app.route("/adherents/<member_id:int>", "GET", edit_page)
    app.route("/adherents/<member_id:int>", "POST", update)
    app.route("/adherents/<member_id:int>/statut", "POST", set_status)
    app.route("/adherents/<member_id:int>/effacer", "GET", erase_page)
    app.route("/adherents/<member_id:int>/effacer", "POST", erase)
    app.route("/adherents/<member_id:int>/donnees.json", "GET", personal_data)
