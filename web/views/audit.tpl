% rebase("base.tpl", title=title)
% from urllib.parse import urlencode
<h1>Journal d'audit</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<form method="get" action="/journal" class="filters">
  <label>Acteur
  <select name="acteur"><option value="">tous</option>
  % for a in actors:
  <option value="{{a}}" {{'selected' if a == filters['acteur'] else ''}}>{{actor_label(a)}}</option>
  % end
  </select></label>
  <label>Action
  <select name="action"><option value="">toutes</option>
  % for a in actions:
  <option value="{{a}}" {{'selected' if a == filters['action'] else ''}}>{{action_label(a)}}</option>
  % end
  </select></label>
  <label>Du <input type="date" name="du" value="{{filters['du']}}"></label>
  <label>Au <input type="date" name="au" value="{{filters['au']}}"></label>
  <button type="submit">Filtrer</button>
</form>
<p class="muted">{{plural(total, "entrée")}} · <a href="/journal.csv?{{urlencode(filters)}}" id="journal-csv">Exporter ces entrées (CSV)</a></p>
<div class="table-wrap">
<table class="audit">
<thead><tr><th>Date</th><th>Ce qui s'est passé</th><th>Détail</th></tr></thead>
<tbody>
% for r in rows:
<tr><td class="when">{{fmt_time(r.at)}}</td><td class="what">{{sentence(r)}}</td><td class="detail">{{detail_text(r.detail)}}</td></tr>
% end
</tbody>
</table>
</div>
% include("pager.tpl", total=total, offset=offset, size=page_size, base="/journal", params=filters)
