% rebase("base.tpl", title=title)
<h1>Groupe « {{group.name}} »</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<section class="card narrow">
<form method="post" action="/secteurs/{{group.id}}">
% include("sector_form.tpl")
<button type="submit" class="primary">Enregistrer</button> <a href="/secteurs">Retour</a>
</form>
</section>
<section class="card narrow">
<h2>Supprimer le groupe</h2>
<form method="post" action="/secteurs/{{group.id}}/supprimer">
<input type="hidden" name="csrf" value="{{csrf}}">
<label class="check"><input type="checkbox" name="confirm" value="oui" required> Je confirme la suppression de ce groupe</label>
<button type="submit" class="danger">Supprimer</button>
</form>
</section>
