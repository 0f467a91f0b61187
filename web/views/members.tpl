% rebase("base.tpl", title=title)
<h1>Adhérents</h1>
<p class="muted">{{plural(counts.get('active', 0), 'actif')}} · {{plural(counts.get('suspended', 0), 'suspendu')}} · {{plural(counts.get('left', 0), 'parti')}}</p>
<p class="buttons">
<a class="button primary" href="/adherents/nouveau">Nouvel adhérent</a>
<a class="button" href="/adherents/import">Importer un fichier CSV</a>
<a class="button" href="/adherents/export.csv">Exporter en CSV</a>
% if filters.get('secteur') and not error:
% from urllib.parse import quote
<a class="button" href="/adherents/export.csv?secteur={{quote(filters['secteur'])}}">Exporter ce secteur</a>
% end
<a class="button" href="/adherents/naf2025">Passage à la NAF 2025{{' (%d à faire)' % naf2025_todo if naf2025_todo else ''}}</a>
</p>
<form method="get" action="/adherents" class="filters">
  <label>Recherche <input name="q" value="{{filters['q']}}" placeholder="nom, enseigne, SIRET, téléphone"></label>
  <label>Secteur (groupe, code NAF rév. 2 ou NAF 2025)
  <input name="secteur" value="{{filters['secteur']}}" list="sector-groups" size="14" placeholder="47.77Z, 47.77Y">
  <datalist id="sector-groups">
  % for g in groups:
  <option value="{{g.name}}">
  % end
  </datalist></label>
  <label>Commune
  <select name="commune"><option value="">toutes</option>
  % for c in communes:
  <option value="{{c.insee}}" {{'selected' if c.insee == filters['commune'] else ''}}>{{c.name}}</option>
  % end
  </select></label>
  <label>Zone
  <select name="zone"><option value="">toutes</option>
  % for z in zones_list:
  <option value="{{z.name}}" {{'selected' if z.name == filters['zone'] else ''}}>{{z.name}}</option>
  % end
  </select></label>
  <label>Chambre
  <select name="chambre">
  % for key, label in chambers.items():
  <option value="{{key}}" {{'selected' if key == filters['chambre'] else ''}}>{{label if key else 'toutes'}}</option>
  % end
  </select></label>
  <label>Statut
  <select name="statut"><option value="">tous (sauf effacés)</option>
  % for key, label in statuses.items():
  <option value="{{key}}" {{'selected' if key == filters['statut'] else ''}}>{{label}}</option>
  % end
  </select></label>
  <button type="submit">Filtrer</button>
</form>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<p class="muted">{{plural(total, "adhérent")}}</p>
% if rows:
<div class="table-wrap">
<table class="members">
<thead><tr><th>Nom</th><th>Enseigne</th><th>SIRET</th><th>Codes NAF</th><th>Commune</th><th>Téléphones</th><th>Statut</th></tr></thead>
<tbody>
% for m in rows:
<tr class="status-{{m['status']}}">
<td><a href="/adherents/{{m['id']}}">{{m['name']}}</a></td><td>{{m['sign']}}</td><td>{{m['siret'] or ''}}</td>
<td class="naf">
% for c in m['naf_codes']:
<span class="naf-code" title="{{c['label']}}">{{c['display']}}</span>
% end
</td><td>{{m['commune_name']}}</td><td class="phone">{{", ".join(phone(p) for p in m['phones'])}}</td>
<td><span class="badge member-{{m['status']}}">{{m['status_label']}}</span></td>
</tr>
% end
</tbody>
</table>
</div>
% include("pager.tpl", total=total, offset=offset, size=page_size, base="/adherents", params={k: v for k, v in filters.items() if v})
% end
