% rebase("base.tpl", title=title)
<section class="card narrow login">
<h1>Connexion</h1>
<p class="muted">Console de la passerelle d'alerte SMS. Accès réservé aux personnes habilitées.</p>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<form method="post" action="/connexion">
  <input type="hidden" name="csrf" value="{{login_csrf}}">
  <input type="hidden" name="suite" value="{{next}}">
  <label for="username">Nom d'utilisateur</label>
  <input id="username" name="username" value="{{username}}" autocomplete="username" required autofocus>
  <label for="password">Mot de passe</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit" class="primary">Se connecter</button>
</form>
</section>
