% rebase("base.tpl", title=title)
% s = summary
<h1>Annuler l'alerte n° {{s['id']}} ?</h1>
<section class="card confirm">
<blockquote class="sms">{{s['text']}}</blockquote>
% if s['state'] == 'scheduled':
<p id="cancel-what"><strong>L'alerte programmée ne partira pas</strong> ({{plural(s['recipient_count'], 'destinataire')}} prévus).</p>
% else:
<p id="cancel-what"><strong>{{plural(waiting, 'message non encore envoyé', 'messages non encore envoyés')}} ne partir{{'a' if waiting <= 1 else 'ont'}} pas.</strong>
Les SMS déjà partis ({{s['counts'].get('sent', 0) + s['counts'].get('delivered', 0)}}) ne peuvent pas être rappelés.</p>
% end
<form method="post" action="/alertes/{{s['id']}}/annuler" class="buttons">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="confirme" value="1">
  <button type="submit" class="danger" id="cancel-confirm-button">Oui, annuler</button>
  <a href="/alertes/{{s['id']}}" class="button">Non, revenir à l'alerte</a>
</form>
</section>
