% rebase("base.tpl", title=title)
<h1>Utilisateurs</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<section class="card">
<table class="users">
<thead><tr><th>Utilisateur</th><th>Rôle</th><th>État</th><th>Dernière connexion</th><th>Actions</th></tr></thead>
<tbody>
% for u in users_list:
<tr>
<td>{{u.username}}</td>
<td>
  <form method="post" action="/utilisateurs/{{u.id}}" class="inline">
    <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="role">
    <select name="role" aria-label="Rôle {{of(u.username)}}">
    % for key, label in roles.items():
      <option value="{{key}}" {{'selected' if key == u.role else ''}}>{{label}}</option>
    % end
    </select>
    <button type="submit" class="small">Changer</button>
  </form>
</td>
<td>
% if u.disabled:
<span class="badge state-failed">désactivé</span>
% elif is_locked(u):
<span class="badge state-retry_wait">verrouillé jusqu'à {{fmt_short(u.locked_until)}}</span>
% else:
<span class="badge state-delivered">actif</span>
% end
</td>
<td>{{fmt_time(u.last_login)}}</td>
<td class="actions">
  <form method="post" action="/utilisateurs/{{u.id}}" class="inline">
    <input type="hidden" name="csrf" value="{{csrf}}">
    % if u.disabled:
    <button type="submit" name="action" value="enable" class="small">Réactiver</button>
    % else:
    <button type="submit" name="action" value="disable" class="small">Désactiver</button>
    % end
    % if is_locked(u):
    <button type="submit" name="action" value="unlock" class="small">Déverrouiller</button>
    % end
  </form>
  <details>
    <summary>Réinitialiser le mot de passe</summary>
    <form method="post" action="/utilisateurs/{{u.id}}">
      <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="password">
      <input type="password" name="password" minlength="10" required placeholder="Nouveau mot de passe" aria-label="Nouveau mot de passe" autocomplete="new-password">
      <input type="password" name="confirm" required placeholder="Confirmation" aria-label="Confirmation" autocomplete="new-password">
      <button type="submit" class="small">Réinitialiser</button>
    </form>
  </details>
  <details>
    <summary>Supprimer</summary>
    <form method="post" action="/utilisateurs/{{u.id}}">
      <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="delete">
      <label><input type="checkbox" name="confirm_delete" value="oui" required> Je confirme la suppression {{of(u.username)}}</label>
      <button type="submit" class="danger small">Supprimer le compte</button>
    </form>
  </details>
</td>
</tr>
% end
</tbody>
</table>
</section>

<section class="card narrow">
<h2>Nouvel utilisateur</h2>
<form method="post" action="/utilisateurs">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <label for="username">Nom d'utilisateur</label>
  <input id="username" name="username" value="{{values.get('username', '')}}" required maxlength="64">
  % if errors.get("username"):
  <p class="field-error">{{errors["username"]}}</p>
  % end
  <label for="role">Rôle</label>
  <select id="role" name="role">
  % for key, label in roles.items():
    <option value="{{key}}" {{'selected' if key == values.get('role', 'operator') else ''}}>{{label}}</option>
  % end
  </select>
  <label for="new-password">Mot de passe (10 caractères au moins)</label>
  <input id="new-password" name="password" type="password" minlength="10" required autocomplete="new-password">
  % if errors.get("password"):
  <p class="field-error">{{errors["password"]}}</p>
  % end
  <label for="new-confirm">Confirmation</label>
  <input id="new-confirm" name="confirm" type="password" required autocomplete="new-password">
  <button type="submit" class="primary">Créer</button>
</form>
<p class="muted">Administrateur : tout. Opérateur : envoie les alertes et gère les adhérents. Gestionnaire (chambre consulaire) : gère les adhérents, n'envoie pas d'alerte.</p>
</section>
