% rebase("base.tpl", title=title)
<h1>Confirmer l'alerte</h1>
% if get("error"):
<p class="flash error" role="alert">{{error}}</p>
% end
% if get("warning"):
<p class="flash error big" role="alert" id="send-warning"><strong>Attention : rien ne peut partir maintenant.</strong> {{warning}}</p>
% end
<section class="card confirm">
<p class="confirm-line"><strong id="confirm-count">{{preview.count}} téléphone{{'s' if preview.count > 1 else ''}} recevr{{'ont' if preview.count > 1 else 'a'}} ce message de {{preview.parts}} SMS</strong></p>
<blockquote class="sms">{{text}}</blockquote>
<ul>
<li>Destinataires : {{description}}</li>
<li>{{preview.sms_total}} SMS au total ({{'GSM 7 bits' if preview.encoding == 'gsm7' else 'Unicode'}}, {{preview.chars}} caractères)</li>
<li>Durée d'envoi estimée : {{estimate}}</li>
</ul>
% if recipients:
<details><summary>Premiers destinataires</summary>
<ul class="recipients-preview">
% for r in recipients:
<li>{{r.member_name}} — {{r.commune}} — {{phone(r.phone)}}</li>
% end
% if preview.count > len(recipients):
<li>… et {{preview.count - len(recipients)}} autre(s)</li>
% end
</ul></details>
% end
<form method="post" action="/alertes/envoyer" class="buttons">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="text" value="{{text}}">
  <input type="hidden" name="targeting" value="{{targeting_json}}">
  <input type="hidden" name="preset_name" value="{{preset_name}}">
  <input type="hidden" name="expires_hours" value="{{expires_hours}}">
  <input type="hidden" name="confirmed_count" value="{{preview.count}}">
  <input type="hidden" name="idempotency_key" value="{{idempotency_key}}">
% if get("warning"):
  <label class="second-confirmation"><input type="checkbox" name="send_anyway" value="1" required id="send-anyway">
  Mettre en file malgré tout : je sais qu'aucun SMS ne partira avant le retour d'un modem ou du démon.</label>
  <button type="submit" class="primary danger" id="send-button">Mettre l'alerte en file malgré tout</button>
% else:
  <button type="submit" class="primary danger" id="send-button">Envoyer l'alerte maintenant</button>
% end
</form>
<form method="post" action="/alertes/nouvelle" class="buttons">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="text" value="{{text}}">
  <input type="hidden" name="targeting" value="{{targeting_json}}">
  <input type="hidden" name="preset_name" value="{{preset_name}}">
  <input type="hidden" name="expires_hours" value="{{expires_hours}}">
  <button type="submit" name="action" value="edit">Modifier</button>
</form>
</section>
