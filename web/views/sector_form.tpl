<input type="hidden" name="csrf" value="{{csrf}}">
<label for="group-name">Nom</label>
<input id="group-name" name="name" value="{{values['name']}}" maxlength="80" required placeholder="bijouteries">
% include("field_errors.tpl", fields=["name"])
<label for="group-codes">Codes NAF rév. 2 et NAF 2025 (séparés par des espaces ; section, division, groupe, classe ou sous-classe ; un code présent dans les deux nomenclatures se précise : rev2:47 ou 2025:47)</label>
<input id="group-codes" name="codes" value="{{values['codes']}}" required placeholder="47.77Z 47.77Y">
% include("field_errors.tpl", fields=["codes"])
<label for="group-description">Description</label>
<input id="group-description" name="description" value="{{values['description']}}">
