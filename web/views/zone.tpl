% rebase("base.tpl", title=title)
<h1>Zone « {{zone.name}} »</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<section class="card narrow">
<form method="post" action="/zones/{{zone.id}}">
% include("zone_form.tpl")
<button type="submit" class="primary">Enregistrer</button> <a href="/zones">Retour</a>
</form>
</section>
<section class="card narrow">
<h2>Supprimer la zone</h2>
<form method="post" action="/zones/{{zone.id}}/supprimer">
<input type="hidden" name="csrf" value="{{csrf}}">
<label class="check"><input type="checkbox" name="confirm" value="oui" required> Je confirme la suppression de cette zone</label>
<button type="submit" class="danger">Supprimer</button>
</form>
</section>
