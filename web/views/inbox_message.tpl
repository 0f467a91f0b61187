% rebase("base.tpl", title=title)
<h1>Message reçu n° {{s['id']}} <span class="badge kind-{{s['kind'] or 'pending'}}">{{s['kind_label']}}</span>
% if s['kind'] in ('incident', 'unknown'):
<span id="treated-badge" class="badge {{'state-delivered' if s['treated'] else 'state-queued'}}">{{'traité' if s['treated'] else 'à traiter'}}</span>
% end
</h1>
% if error:
<p class="flash error" role="alert" id="reply-error">{{error}}</p>
% end
<section class="card">
<blockquote class="sms">{{s['text']}}</blockquote>
<p class="muted">Reçu le {{fmt_time(s['received_at'])}} du <span class="phone">{{phone(s['phone'])}}</span>
% if s['member_id']:
 — adhérent : <a href="/adherents/{{s['member_id']}}" id="sms-member">{{s['member']}}</a>{{' (SIRET %s)' % s['siret'] if s['siret'] else ''}}
% else:
 — aucun adhérent n'a ce numéro
% end
% if s['treated']:
 · traité le {{fmt_time(s['treated_at'])}} par {{s['treated_by']}}
% end
% if s['replies']:
 · {{plural(s['replies'], 'réponse envoyée', 'réponses envoyées')}}
% end
</p>
% if s['kind'] in ('incident', 'unknown'):
<form method="post" action="/messages/{{s['id']}}/traite" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="traite" value="{{'0' if s['treated'] else '1'}}">
<button type="submit" id="treated-button">{{'Rouvrir (à traiter)' if s['treated'] else 'Marquer comme traité'}}</button>
</form>
% end
</section>
<section class="card narrow">
<h2>Répondre</h2>
% if can_reply:
<form method="post" action="/messages/{{s['id']}}/repondre" id="reply-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="reply-text">SMS au {{phone(s['phone'])}} ({{reply_max}} SMS au plus)</label>
<textarea id="reply-text" name="text" rows="3" required>{{reply_text}}</textarea>
% if s['kind'] in ('incident', 'unknown') and not s['treated']:
<label class="check"><input type="checkbox" name="traite" value="1" checked> marquer le message comme traité</label>
% end
<div class="buttons"><button type="submit" class="primary" id="reply-send">Envoyer la réponse</button></div>
</form>
<p class="muted">La réponse part par la file d'envoi, après les alertes en cours ; elle est inscrite au journal. Un numéro qui a répondu STOP ne la reçoit pas.</p>
% else:
<p>Ce numéro ne peut pas recevoir de réponse (numéro court, expéditeur alphanumérique ou numéro étranger).</p>
% end
</section>
<p><a href="/messages">Tous les messages reçus</a></p>
