"""SMS parts per alert on realistic French alert texts, as written and once transliterated to GSM-7."""

from vigie.daemon.core.reference import smstext

# What gendarmes actually type: accents, ç, œ, « », apostrophes typographiques, €.
ALERT_TEXTS = [
    "Gendarmerie : vols par ruse signalés à Alençon ce matin. Deux individus se présentent comme agents "
    "des eaux. Ne les laissez pas entrer, appelez le 17.",
    "Cambriolages en série cette nuit à Flers (bijouteries, tabacs). Véhicule suspect : utilitaire blanc "
    "immatriculé « AB-123-CD ». Vérifiez vos fermetures et alarmes.",
    "Fausses coupures de 50 € en circulation à L'Aigle et Mortagne-au-Perche. Contrôlez les billets "
    "(filigrane, hologramme) et signalez tout paiement suspect au 17.",
    "Attention : tentatives d'escroquerie au faux RIB auprès des commerçants de l'arrondissement "
    "d'Argentan. Ne modifiez aucune coordonnée bancaire sans vérification téléphonique. Œil ouvert !",
    "Vol à l'arraché devant une supérette de Sées à 18 h 40 ; l'auteur a pris la fuite à pied vers la gare. "
    "Homme, 1,80 m, sweat gris à capuche. Tout renseignement : 17.",
    "Les cambrioleurs ciblent les caisses laissées en magasin : videz-les chaque soir, laissez-les ouvertes "
    "et bien visibles. Ça décourage les auteurs. Gendarmerie de l'Orne.",
    "Alerte : démarchage frauduleux « sécurité incendie » dans le Perche. Aucun organisme n'est mandaté "
    "pour vendre des extincteurs à domicile. En cas de doute, appelez la brigade.",
    "Rappel : vols de carburant et de matériel sur les chantiers et exploitations du Bocage. Fermez vos "
    "cuves, rangez l'outillage, éclairez vos cours. Merci de votre vigilance.",
    "Individus repérés en train de photographier des vitrines rue du Château à Domfront. Signalez "
    "immédiatement tout comportement suspect au 17 (numéro d'urgence).",
    "Gendarmerie : braquage d'une station-service à Argentan, auteurs en fuite en direction de Caen à bord "
    "d'une berline noire. Ne prenez aucun risque, appelez le 17.",
]


def run(figures) -> None:
    raw = [smstext.analyze(t) for t in ALERT_TEXTS]
    translit = [smstext.analyze(smstext.transliterate(t)) for t in ALERT_TEXTS]
    figures.note(f"SMS parts: {len(ALERT_TEXTS)} realistic French alert texts "
                 f"({min(len(t) for t in ALERT_TEXTS)}-{max(len(t) for t in ALERT_TEXTS)} characters)")
    figures.figure("sms_parts_per_alert_as_written", sum(i.parts for i in raw) / len(raw), 2)
    figures.figure("sms_parts_per_alert_transliterated", sum(i.parts for i in translit) / len(translit), 2)
    figures.figure("sms_texts_in_ucs2_as_written", f"{sum(i.encoding == 'ucs2' for i in raw)}/{len(raw)}")
    figures.figure("sms_texts_in_ucs2_transliterated",
                   f"{sum(i.encoding == 'ucs2' for i in translit)}/{len(translit)}")
