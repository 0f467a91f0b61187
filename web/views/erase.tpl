% rebase("base.tpl", title=title)
<h1>Effacer l'adhérent « {{member.name}} »</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<section class="card narrow">
<p>L'effacement supprime définitivement ses données personnelles (nom, téléphones, contact, adresse, notes) ; l'historique des alertes ne garde que des comptes anonymes. <strong>Cette opération est irréversible.</strong></p>
<form method="post" action="/adherents/{{member.id}}/effacer">
<input type="hidden" name="csrf" value="{{csrf}}">
<label class="check"><input type="checkbox" name="confirm" value="oui" required> Je confirme l'effacement {{of(member.name)}} ({{member.siret or ''}})</label>
<button type="submit" class="danger">Effacer définitivement</button>
<a href="/adherents/{{member.id}}">Annuler</a>
</form>
</section>
