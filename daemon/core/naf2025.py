"""The migration aid to NAF 2025: for every member with a rév. 2 code and no NAF 2025 code, the code
INSEE's correspondence proposes when it gives a single one (applied on request, audited) and the
candidates when it gives several (left for a person: the console's to-do list, with the code SIRENE
gave when a check has read one)."""

from dataclasses import dataclass, field

from vigie.daemon.core import audit
from vigie.daemon.core.models import Member, database
from vigie.daemon.core.reference import naf

SINGLE, MULTIPLE = "single", "multiple"


@dataclass
class Item:
    member_id: int
    siret: str
    name: str
    naf: str                        # rév. 2 code
    kind: str                       # SINGLE | MULTIPLE
    candidates: list[str]           # NAF 2025 sub-classes, in INSEE's order
    sirene_naf_2025: str = ""       # what SIRENE gave at the last check, "" when unknown

    @property
    def proposed(self) -> str | None:
        return self.candidates[0] if self.kind == SINGLE else None

    def as_dict(self) -> dict:
        return {"id": self.member_id, "siret": self.siret, "name": self.name,
                "naf": self.naf, "naf_label": naf.label(self.naf), "kind": self.kind,
                "proposed": self.proposed,
                "candidates": [{"code": c, "label": naf.label(c, naf.NAF2025)} for c in self.candidates],
                "sirene_naf_2025": self.sirene_naf_2025,
                "sirene_is_candidate": bool(self.sirene_naf_2025 and self.sirene_naf_2025 in self.candidates)}


@dataclass
class Plan:
    items: list[Item] = field(default_factory=list)
    applied: list[Item] = field(default_factory=list)

    @property
    def single(self) -> list[Item]:
        return [i for i in self.items if i.kind == SINGLE]

    @property
    def multiple(self) -> list[Item]:
        return [i for i in self.items if i.kind == MULTIPLE]

    def as_dict(self) -> dict:
        return {"single": len(self.single), "multiple": len(self.multiple), "applied": len(self.applied),
                "members": [i.as_dict() for i in self.items]}


def plan() -> Plan:
    """Every member (not erased) with a rév. 2 code and no NAF 2025 code, single links first, by name."""
    result = Plan()
    query = (Member.select().where((Member.status != "erased") & (Member.naf != "") & (Member.naf_2025 == ""))
             .order_by(Member.name, Member.id))
    for m in query:
        try:
            candidates = naf.counterparts(m.naf)
        except Exception:           # a code the shipped nomenclature does not know: nothing to propose
            continue
        if not candidates:
            continue
        result.items.append(Item(member_id=m.id, siret=m.siret or "", name=m.name, naf=m.naf,
                                 kind=SINGLE if len(candidates) == 1 else MULTIPLE, candidates=candidates,
                                 sirene_naf_2025=m.sirene_naf_2025 or ""))
    result.items.sort(key=lambda i: i.kind != SINGLE)
    return result


def todo_count() -> int:
    """How many members ``plan`` would list (counted by SQLite, for the member list's button)."""
    return Member.select().where((Member.status != "erased") & (Member.naf != "")
                                 & (Member.naf_2025 == "")).count()


def apply(*, actor: str) -> Plan:
    """Give every member with a single link its NAF 2025 code (one audit entry per member, one summary);
    members with several candidates are left as they are."""
    result = plan()
    with database.atomic("IMMEDIATE"):
        for item in result.single:
            changed = (Member.update(naf_2025=item.proposed)
                       .where((Member.id == item.member_id) & (Member.naf_2025 == "")).execute())
            if changed:
                audit.record(actor, "member.naf2025", item.siret or f"adhérent n° {item.member_id}",
                             {"naf": item.naf, "naf_2025": item.proposed, "link": "unique"})
                result.applied.append(item)
        audit.record(actor, "member.naf2025.apply", "", {"applied": len(result.applied),
                                                         "left": len(result.multiple)},
                     count=len(result.applied))
    return result
