<input type="hidden" name="csrf" value="{{csrf}}">
<label for="zone-name">Nom</label>
<input id="zone-name" name="name" value="{{values['name']}}" maxlength="80" required>
% include("field_errors.tpl", fields=["name"])
<label for="zone-description">Description</label>
<input id="zone-description" name="description" value="{{values['description']}}">
<label for="zone-communes">Communes (Ctrl ou Maj pour en choisir plusieurs)</label>
<select id="zone-communes" name="commune" multiple size="10" required>
% for c in communes:
<option value="{{c.insee}}" {{'selected' if c.insee in values['commune'] else ''}}>{{c.name}} ({{c.postal_code}})</option>
% end
</select>
% include("field_errors.tpl", fields=["communes"])
<div class="carte-zone" data-select="zone-communes">
% include("carte.tpl", svg=zone_svg, legend=[("cible", "communes de la zone")], js_note="Cliquez une commune sur la carte pour l'ajouter à la zone ou l'en retirer ; la liste ci-dessus fait de même, au clavier.")
<p class="sr-only" aria-live="polite" data-announce></p>
</div>
