<fieldset class="targeting">
<legend>Destinataires</legend>
% if errors.get("targeting"):
<p class="field-error">{{errors["targeting"]}}</p>
% end
<label class="check"><input type="checkbox" name="all" value="1" id="all-members" {{'checked' if values['all'] else ''}}> Tous les adhérents actifs</label>
<p class="muted" id="all-note"{{'' if values['all'] else ' hidden'}}>« Tous les adhérents actifs » exclut les autres choix : ils sont désactivés tant que la case est cochée.</p>
<div id="other-choices">

<div class="columns">
<div>
<h3>Secteurs d'activité</h3>
% if groups:
<div class="checks">
% for g in groups:
<label class="check"><input type="checkbox" name="sector_group" value="{{g.name}}" {{'checked' if g.name in values['sector_group'] else ''}}> {{g.name}} <small class="muted">({{g.codes}})</small></label>
% end
</div>
% else:
<p class="muted">Aucun groupe de secteurs défini (<a href="/secteurs">en créer</a>).</p>
% end
<label for="naf_codes">Codes NAF rév. 2 ou NAF 2025 (séparés par des espaces, ex. : 47.77Z 47.77Y ; un code présent dans les deux nomenclatures se précise : rev2:47 ou 2025:47)</label>
<input id="naf_codes" name="naf_codes" value="{{values['naf_codes']}}" placeholder="47.77Z, tabac, bijouterie…" list="sector-suggestions" autocomplete="off" data-suggest="/secteurs/suggestions.json">
<datalist id="sector-suggestions"></datalist>
% if errors.get("sectors"):
<p class="field-error">{{errors["sectors"]}}</p>
% end
<label class="check"><input type="checkbox" name="include_multiple" value="1" {{'checked' if values.get('include_multiple') else ''}}> Inclure les adhérents atteints par un lien « Multiple » de la correspondance NAF rév. 2 ↔ NAF 2025 <small class="muted">(l'aperçu les liste)</small></label>
</div>

<div>
<h3>Zones et communes</h3>
% if zones_list:
<div class="checks">
% for z in zones_list:
<label class="check"><input type="checkbox" name="zone" value="{{z.name}}" {{'checked' if z.name in values['zone'] else ''}}> {{z.name}}</label>
% end
</div>
% else:
<p class="muted">Aucune zone définie.</p>
% end
% if errors.get("zones"):
<p class="field-error">{{errors["zones"]}}</p>
% end
<label for="commune">Communes (Ctrl ou Maj pour en choisir plusieurs)</label>
<select id="commune" name="commune" multiple size="6">
% for c in communes:
<option value="{{c.insee}}" {{'selected' if c.insee in values['commune'] else ''}}>{{c.name}} ({{c.postal_code}})</option>
% end
</select>
% if errors.get("communes"):
<p class="field-error">{{errors["communes"]}}</p>
% end
<div class="row">
<div>
<label for="around">Autour de la commune</label>
<select id="around" name="around">
<option value="">—</option>
% for c in communes:
<option value="{{c.insee}}" {{'selected' if c.insee == values['around'] else ''}}>{{c.name}}</option>
% end
</select>
</div>
<div>
<label for="radius_km">Rayon (km)</label>
<input id="radius_km" name="radius_km" value="{{values['radius_km']}}" inputmode="decimal" size="5" placeholder="10">
</div>
</div>
% for f in ("around", "radius_km"):
% if errors.get(f):
<p class="field-error">{{errors[f]}}</p>
% end
% end
</div>
</div>

<label for="sirets">Adhérents choisis individuellement (SIRET, séparés par des espaces)</label>
<input id="sirets" name="sirets" value="{{values['sirets']}}">
% if errors.get("members"):
<p class="field-error">{{errors["members"]}}</p>
% end
<label class="check"><input type="checkbox" name="test_group" value="1" id="test_group" {{'checked' if values.get('test_group') else ''}}> Groupe de test (adhérents volontaires pour les exercices)</label>
</div>
</fieldset>
