% rebase("base.tpl", title=title)
% erased = member is not None and member.status == 'erased'
<h1>{{member.name if member else 'Nouvel adhérent'}}
% if member:
<span class="badge member-{{member.status}}">{{statuses.get(member.status, 'effacé')}}</span>
% end
</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
% def field(name, label, kind="text", hint="", required=False):
<label for="f-{{name}}">{{label}}{{' *' if required else ''}}</label>
<input id="f-{{name}}" name="{{name}}" type="{{kind}}" value="{{values.get(name, '')}}" {{'required' if required else ''}} {{'disabled' if erased else ''}}>
% if hint:
<small class="muted">{{hint}}</small>
% end
% if errors.get(name):
<p class="field-error">{{errors[name]}}</p>
% end
% end
<form method="post" action="{{'/adherents/%d' % member.id if member else '/adherents/nouveau'}}" class="card member-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<div class="columns">
<div>
% field("siret", "SIRET", required=True, hint="14 chiffres")
% field("name", "Nom (raison sociale)", required=True)
% field("sign", "Enseigne")
% field("naf_rev2", "Code APE en NAF rév. 2", hint="ex. : 47.77Z")
% field("naf_2025", "Code APE en NAF 2025", hint="ex. : 47.77Y (en vigueur au 1er janvier 2027) ; au moins l'un des deux codes")
% if errors.get("naf"):
<p class="field-error">{{errors["naf"]}}</p>
% end
% if member and not member.naf_2025 and naf_candidates:
<p class="muted naf-todo">Correspondance NAF 2025 de {{member.naf}} : {{", ".join(naf_candidates)}}{{' (SIRENE : %s)' % member.sirene_naf_2025 if member.sirene_naf_2025 else ''}} — <a href="/adherents/naf2025">à faire</a></p>
% end
<label for="f-commune">Commune *</label>
<select id="f-commune" name="commune" {{'disabled' if erased else ''}}>
<option value="">—</option>
% for c in communes:
<option value="{{c.insee}}" {{'selected' if c.insee == values.get('commune') else ''}}>{{c.name}} ({{c.postal_code}})</option>
% end
</select>
% if errors.get("commune"):
<p class="field-error">{{errors["commune"]}}</p>
% end
% field("address", "Adresse")
<label for="f-chamber">Chambre consulaire</label>
<select id="f-chamber" name="chamber" {{'disabled' if erased else ''}}>
% for key, label in chambers.items():
<option value="{{key}}" {{'selected' if key == values.get('chamber') else ''}}>{{label}}</option>
% end
</select>
% if errors.get("chamber"):
<p class="field-error">{{errors["chamber"]}}</p>
% end
</div>
<div>
<label for="f-phones">Téléphones mobiles * (un par ligne)</label>
<textarea id="f-phones" name="phones" rows="3" {{'disabled' if erased else ''}}>{{values.get('phones', '')}}</textarea>
% for p in opted_out:
<p class="flash warn">Le {{phone(p)}} a répondu STOP : il ne reçoit plus d'alerte (il lui suffit de répondre START pour se réinscrire).</p>
% end
% if errors.get("phone") or errors.get("phones"):
<p class="field-error">{{errors.get("phone") or errors.get("phones")}}</p>
% end
% field("contact", "Nom du contact")
% field("email", "Courriel", kind="email")
% field("consent_date", "Date du consentement", hint="JJ/MM/AAAA")
% field("consent_channel", "Canal du consentement", hint="ex. : bulletin papier, formulaire CCI")
% field("consent_version", "Version de la notice d'information")
<label for="f-notes">Notes</label>
<textarea id="f-notes" name="notes" rows="3" {{'disabled' if erased else ''}}>{{values.get('notes', '')}}</textarea>
% if errors.get("notes"):
<p class="field-error">{{errors["notes"]}}</p>
% end
% if not member:
<label for="f-status">Statut</label>
<select id="f-status" name="status">
% for key, label in statuses.items():
<option value="{{key}}" {{'selected' if key == values.get('status') else ''}}>{{label}}</option>
% end
</select>
% end
</div>
</div>
% if not erased:
<button type="submit" class="primary">Enregistrer</button>
% end
<a href="/adherents">Retour à la liste</a>
</form>
% if member and not erased:
<section class="card">
<h2>Statut et données personnelles</h2>
<div class="buttons">
<form method="post" action="/adherents/{{member.id}}/statut" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}">
% if member.status == 'active':
<button type="submit" name="status" value="suspended">Suspendre (ne reçoit plus d'alerte)</button>
% else:
<button type="submit" name="status" value="active">Réactiver</button>
% end
% if member.status != 'left':
<button type="submit" name="status" value="left">Marquer comme parti</button>
% end
</form>
<a class="button" href="/adherents/{{member.id}}/donnees.json">Exporter ses données (RGPD)</a>
<a class="button danger" href="/adherents/{{member.id}}/effacer">Effacer…</a>
</div>
<p class="muted">Créé le {{fmt_time(member.created_at)}}, modifié le {{fmt_time(member.updated_at)}}.</p>
</section>
% end
