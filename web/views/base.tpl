<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} — Vigientreprise</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script src="/static/app.js" defer></script>
</head>
<body data-live="{{'/direct.json' if user else ''}}">
<header class="top">
  <a class="brand" href="/">Vigientreprise <small>Orne</small></a>
  % if user:
  <input type="checkbox" id="menu-toggle" class="menu-toggle" aria-label="Menu">
  <label for="menu-toggle" class="menu-button">Menu</label>
  <nav class="menu" aria-label="Navigation principale">
    % if allowed("dashboard"):
    <a href="/" class="{{'active' if path == '/' else ''}}">Tableau de bord</a>
    % end
    % if allowed("alerts"):
    <a href="/alertes/nouvelle" class="{{'active' if path == '/alertes/nouvelle' else ''}}">Nouvelle alerte</a>
    <a href="/alertes" class="{{'active' if path.startswith('/alertes') and path != '/alertes/nouvelle' else ''}}">Alertes</a>
    % end
    % if allowed("inbox"):
    <a href="/messages" id="menu-inbox" class="{{'active' if path.startswith('/messages') else ''}}">Messages reçus<span id="inbox-unread" class="unread{{'' if live['unread'] else ' hidden'}}" data-unread="{{live['unread'] or 0}}"> ({{live['unread'] or 0}})</span></a>
    % end
    <a href="/adherents" class="{{'active' if path.startswith('/adherents') else ''}}">Adhérents</a>
    % if allowed("settings"):
    <a href="/zones" class="{{'active' if path.startswith('/zones') else ''}}">Zones</a>
    <a href="/secteurs" class="{{'active' if path.startswith('/secteurs') else ''}}">Secteurs</a>
    <a href="/modeles" class="{{'active' if path.startswith('/modeles') else ''}}">Modèles</a>
    % end
    % if allowed("stats"):
    <a href="/statistiques" class="{{'active' if path.startswith('/statistiques') else ''}}">Statistiques</a>
    % end
    % if allowed("users"):
    <a href="/utilisateurs" class="{{'active' if path.startswith('/utilisateurs') else ''}}">Utilisateurs</a>
    % end
    % if allowed("audit"):
    <a href="/journal" class="{{'active' if path.startswith('/journal') else ''}}">Journal</a>
    % end
  </nav>
  <div class="who">
    <a href="/compte" title="Mon compte">{{user.username}}</a> <span class="role">({{role_label(user.role)}})</span>
    <form method="post" action="/deconnexion" class="inline">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="link">Se déconnecter</button>
    </form>
  </div>
  % end
</header>
<div id="panic-banners" aria-live="assertive">
% for a in live['panic']:
% include("panic_banner.tpl", a=a, now=live['now'])
% end
</div>
<main>
% for kind, text in flashes:
<p class="flash {{kind}}" role="status">{{text}}</p>
% end
{{!base}}
</main>
<footer>Vigientreprise — passerelle d'alerte SMS, groupement de gendarmerie de l'Orne</footer>
</body>
</html>
