% rebase("base.tpl", title=title)
<section class="card narrow">
<h1>{{title}}</h1>
<p class="error-text">{{message}}</p>
<p>
% if status == 401:
<a class="button" href="/connexion">Se connecter</a>
% else:
<a class="button" href="/">Retour à l’accueil</a>
% end
</p>
</section>
