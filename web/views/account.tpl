% rebase("base.tpl", title=title)
<h1>Mon compte</h1>
<p>Connecté en tant que <strong>{{user.username}}</strong>, rôle : {{role_label(user.role)}}.</p>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<div class="columns">
<section class="card">
<h2>Changer mon mot de passe</h2>
<form method="post" action="/compte/mot-de-passe">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <label for="current">Mot de passe actuel</label>
  <input id="current" name="current" type="password" autocomplete="current-password" required>
  <label for="password">Nouveau mot de passe (10 caractères au moins)</label>
  <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required>
  % if errors.get("password"):
  <p class="field-error">{{errors["password"]}}</p>
  % end
  <label for="confirm">Confirmation</label>
  <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
  <button type="submit">Changer le mot de passe</button>
</form>
</section>
<section class="card">
<h2>Jetons d'API</h2>
<p class="muted">Un jeton permet à un logiciel d'utiliser l'API (<code>Authorization: Bearer …</code>) avec les droits de votre rôle.</p>
% if new_token:
<div class="flash ok" role="status">
  <p>Nouveau jeton — copiez-le maintenant, il ne sera plus jamais affiché :</p>
  <p><code class="token" id="new-token">{{new_token}}</code></p>
</div>
% end
% if tokens:
<table>
<thead><tr><th>Libellé</th><th>Créé le</th><th>Dernier usage</th><th></th></tr></thead>
<tbody>
% for t in tokens:
<tr><td>{{t.name}}</td><td>{{fmt_time(t.created_at)}}</td><td>{{fmt_time(t.last_used)}}</td>
<td><form method="post" action="/compte/jetons/{{t.id}}/supprimer" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger small">Supprimer</button></form></td></tr>
% end
</tbody>
</table>
% else:
<p>Aucun jeton.</p>
% end
<form method="post" action="/compte/jetons" class="row">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <label for="label">Libellé du nouveau jeton</label>
  <input id="label" name="label" maxlength="80" required placeholder="ex. : logiciel du CORG">
  <button type="submit">Créer un jeton</button>
</form>
</section>
</div>
