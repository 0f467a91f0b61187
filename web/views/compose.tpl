% rebase("base.tpl", title=title)
<h1>Nouvelle alerte</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
% if presets_list:
<form method="get" action="/alertes/nouvelle" class="row presets-load">
  <label for="modele">Partir d'un modèle</label>
  <select id="modele" name="modele">
  % for p in presets_list:
  <option value="{{p.name}}" {{'selected' if p.name == preset_name else ''}}>{{p.name}}{{' (bouton d’alerte)' if p.name == panic_preset else ''}}</option>
  % end
  </select>
  <button type="submit">Charger</button>
</form>
% end

<form method="post" action="/alertes/nouvelle" id="composer" data-preview="/alertes/apercu.json">
<input type="hidden" name="csrf" value="{{csrf}}">
<section class="card">
<label for="text">Texte du SMS</label>
<textarea id="text" name="text" rows="5" required>{{text}}</textarea>
<p id="counter" class="counter" aria-live="polite">{{plural(info.chars, 'caractère')}} · {{info.parts}} SMS ({{'GSM 7 bits' if info.encoding == 'gsm7' else 'Unicode'}}) · {{plural(info.remaining, 'caractère restant', 'caractères restants')}} dans ce SMS</p>
<p id="unsendable" class="flash error{{'' if info.unsendable else ' hidden'}}" role="alert">
  Le modem ne peut pas envoyer <span id="unsendable-chars">{{" ".join(info.unsendable)}}</span> (émojis) : l'alerte serait refusée. Retirez-les ou remplacez-les par des caractères simples.
</p>
<p id="replaced" class="muted{{'' if info.replaced else ' hidden'}}">
  Remplacés à l'envoi, comme le téléphone les affichera : <span id="replaced-chars">{{" ; ".join(c + " → " + on_air[c] for c in info.replaced)}}</span>
</p>
<p id="translit" class="flash warn{{'' if info.non_gsm else ' hidden'}}">
  Caractères hors alphabet GSM : <span id="nongsm">{{" ".join(info.non_gsm)}}</span> — ils font passer le message en Unicode (70 caractères par SMS).
  <button type="submit" name="action" value="transliterate" formnovalidate id="translit-button">Remplacer par des caractères simples</button>
</p>
% if errors.get("text"):
<p class="field-error">{{errors["text"]}}</p>
% end
<p class="muted">Au plus {{max_parts}} SMS par alerte. Ne nommez ni la victime ni un suspect identifiable.</p>
</section>

% include("targeting_fields.tpl")

<section class="card">
<h2>Carte du ciblage</h2>
% include("carte.tpl", svg=carte["svg"], data_src="/carte.svg", legend=[("cible", "communes de la zone visée"), ("destinataires", "communes où des adhérents recevront l'alerte"), ("rayon", "rayon"), ("centre", "commune centre")], note="Survolez une commune pour voir son nombre de destinataires.", js_note="La carte suit les choix ci-dessus au fil de la saisie.")
</section>

<section class="card">
<p id="estimate" class="estimate" aria-live="polite">Le nombre de destinataires s'affiche à l'étape de confirmation.</p>
<div class="row">
<div>
<label for="expires_hours">Validité (heures ; défaut {{'%g' % default_expiry}})</label>
<input id="expires_hours" name="expires_hours" value="{{expires_hours}}" inputmode="decimal" size="5">
% if errors.get("expires_hours"):
<p class="field-error">{{errors["expires_hours"]}}</p>
% end
</div>
</div>
<fieldset class="options">
<legend>Départ et options</legend>
<label for="send_at">Départ programmé (heure de Paris ; vide : tout de suite)</label>
<input id="send_at" name="send_at" type="datetime-local" value="{{options['send_at']}}">
% if errors.get("send_at") or errors.get("at"):
<p class="field-error">{{errors.get("send_at") or errors.get("at")}}</p>
% end
<label class="check"><input type="checkbox" name="non_urgent" value="1" id="non_urgent" {{'checked' if options['non_urgent'] else ''}}> Non urgente{{' : attend la fin des heures calmes (' + quiet + ')' if quiet else ' (aucune heure calme n’est configurée)'}}</label>
<label class="check"><input type="checkbox" name="ack" value="1" id="ack" {{'checked' if options['ack'] else ''}}> Demander un accusé de lecture (« Répondez OK… » ajouté au texte)</label>
<label class="check"><input type="checkbox" name="exercise" value="1" id="exercise" {{'checked' if options['exercise'] else ''}}> Exercice (chaque SMS commence par « EXERCICE – »)</label>
<p id="start-estimate" class="estimate" aria-live="polite"></p>
<p class="muted">Champs possibles dans le texte : {commune}, {enseigne}, {date}, {heure}, {secteur} ; ils sont remplis pour chaque destinataire.</p>
</fieldset>
<div class="buttons">
<button type="submit" name="action" value="preview" class="primary">Vérifier et confirmer…</button>
</div>
</section>

<details class="card" {{'open' if errors.get('preset_name') or errors.get('name') else ''}}>
<summary>Enregistrer comme modèle</summary>
<label for="preset_name">Nom du modèle</label>
<input id="preset_name" name="preset_name" value="{{preset_name}}" maxlength="80">
% for f in ("preset_name", "name"):
% if errors.get(f):
<p class="field-error">{{errors[f]}}</p>
% end
% end
<button type="submit" name="action" value="save_preset">Enregistrer le modèle</button>
<p class="muted">Le modèle nommé « {{panic_preset}} » est celui qu'envoie le bouton d'alerte.</p>
</details>
</form>
