"""Synthetic members written straight into the database with bulk inserts (20,000 in seconds).

Half the members are in NAF division 47 (retail) and, independently, half sit in a commune within
RADIUS_KM of Alençon: the benchmark targeting ("rev2:47" around Alençon) reaches exactly a quarter.
"""

import random
import time

from stdnum import luhn

from vigie.daemon.core.models import Contact, Member, database
from vigie.daemon.core.reference import geo, naf

CENTRE = "61001"            # Alençon
RADIUS_KM = 25.0
SECTOR = "47"               # NAF rév. 2 division 47 (the members' codes)
TARGET_SECTOR = "rev2:47"   # the same as a targeting selector: "47" alone is ambiguous since NAF 2025
FIRST_WORDS = ("Boulangerie", "Bijouterie", "Garage", "Pharmacie", "Tabac", "Supérette", "Quincaillerie",
               "Fleuriste", "Boucherie", "Opticien", "Librairie", "Cave", "Pressing", "Coiffure")
LAST_WORDS = ("du Centre", "de la Gare", "Martin", "Lefèvre", "des Halles", "du Marché", "Normande",
              "de l'Orne", "Saint-Pierre", "du Château", "Dubois", "Moreau")


def siret(n: int) -> str:
    """A valid SIRET (Luhn on the SIREN and on the 14 digits) derived from n."""
    siren8 = f"{(n * 7919 + 10000000) % 100000000:08d}"
    siren = siren8 + luhn.calc_check_digit(siren8)
    body = siren + f"{n % 10000:04d}"
    return body + luhn.calc_check_digit(body)


def populate(count: int, seed: int = 8) -> dict:
    """Insert ``count`` active members with one mobile each; returns the targeting facts."""
    rng = random.Random(seed)
    inside = geo.communes_within(CENTRE, RADIUS_KM)
    outside = [c for c, km in geo.distances_from(CENTRE) if km > RADIUS_KM + 1]
    in_sector = sorted(naf.expand(SECTOR))
    off_sector = [code for code, _ in naf.all_subclasses() if not code.startswith(SECTOR)]
    now = time.time()
    start_id = (Member.select().order_by(Member.id.desc()).first() or Member(id=0)).id + 1
    members, contacts = [], []
    for i in range(count):
        member_id = start_id + i
        naf_code = rng.choice(in_sector if i % 2 == 0 else off_sector)
        commune = rng.choice(inside if (i // 2) % 2 == 0 else outside)
        members.append(dict(id=member_id, siret=siret(member_id), naf=naf_code, commune=commune,
                            name=f"{rng.choice(FIRST_WORDS)} {rng.choice(LAST_WORDS)} {member_id}",
                            chamber=rng.choice(("cci", "cma")), status="active", created_at=now,
                            updated_at=now, consent_date="2026-01-15", consent_channel="papier"))
        contacts.append(dict(member=member_id, phone=f"+336{member_id:08d}", position=0))
    with database.atomic("IMMEDIATE"):
        for start in range(0, count, 1000):
            Member.insert_many(members[start:start + 1000]).execute()
            Contact.insert_many(contacts[start:start + 1000]).execute()
    return {"inside": len(inside), "expected": sum(1 for i in range(count) if i % 2 == 0 and (i // 2) % 2 == 0)}
