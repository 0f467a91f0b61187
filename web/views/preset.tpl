% rebase("base.tpl", title=title)
<h1>{{'Modèle « %s »' % preset.name if preset else 'Nouveau modèle'}}</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<form method="post" action="{{'/modeles/%d' % preset.id if preset else '/modeles'}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<section class="card">
<label for="preset-name">Nom (le bouton d'alerte envoie « {{panic_preset}} »)</label>
<input id="preset-name" name="name" value="{{name}}" maxlength="80" required>
% include("field_errors.tpl", fields=["name"])
<label for="text">Texte du SMS</label>
<textarea id="text" name="text" rows="4" required>{{text}}</textarea>
% include("field_errors.tpl", fields=["text"])
<label for="priority">Priorité (0 normale ; le bouton envoie toujours en priorité maximale)</label>
<input id="priority" name="priority" value="{{priority}}" inputmode="numeric" size="4">
</section>
% include("targeting_fields.tpl")
<button type="submit" class="primary">Enregistrer</button> <a href="/modeles">Retour</a>
</form>
% if preset:
<section class="card narrow">
<h2>Supprimer le modèle</h2>
<form method="post" action="/modeles/{{preset.id}}/supprimer">
<input type="hidden" name="csrf" value="{{csrf}}">
<label class="check"><input type="checkbox" name="confirm" value="oui" required> Je confirme la suppression de ce modèle</label>
<button type="submit" class="danger">Supprimer</button>
</form>
</section>
% end
