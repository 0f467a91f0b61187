% rebase("base.tpl", title=title)
<h1>Passage à la NAF 2025</h1>
<p class="muted">À partir du 1er janvier 2027, les codes APE suivent la NAF 2025. Cette page liste les adhérents qui ont un code NAF rév. 2 et pas encore de code NAF 2025, avec ce que propose la table de correspondance officielle de l'INSEE.</p>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
<section class="card" id="naf2025-single">
<h2>Correspondance unique ({{len(single)}})</h2>
% if single:
<p>Le code NAF rév. 2 de ces adhérents ne correspond qu'à un code NAF 2025 : il peut être enregistré pour tous à la fois (chaque changement est inscrit au journal).</p>
<div class="table-wrap">
<table>
<thead><tr><th>Adhérent</th><th>SIRET</th><th>NAF rév. 2</th><th>NAF 2025 proposé</th><th>SIRENE</th></tr></thead>
<tbody>
% for i in single:
<tr><td><a href="/adherents/{{i['id']}}">{{i['name']}}</a></td><td>{{i['siret']}}</td><td title="{{i['naf_label']}}">{{i['naf']}}</td>
<td title="{{i['candidates'][0]['label']}}">{{i['proposed']}}</td><td>{{i['sirene_naf_2025'] or '—'}}</td></tr>
% end
</tbody>
</table>
</div>
<form method="post" action="/adherents/naf2025" class="buttons">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" class="primary">Enregistrer {{'le code proposé' if len(single) == 1 else 'les %d codes proposés' % len(single)}}</button>
</form>
% else:
<p class="muted">Aucun.</p>
% end
</section>
<section class="card" id="naf2025-multiple">
<h2>À choisir par une personne ({{len(multiple)}})</h2>
% if multiple:
<p>Le code NAF rév. 2 de ces adhérents correspond à plusieurs codes NAF 2025 (liens « Multiple ») : choisissez le bon d'après l'activité réelle. La valeur lue dans SIRENE, quand un contrôle l'a donnée, est indiquée.</p>
% for i in multiple:
<form method="post" action="/adherents/{{i['id']}}/naf2025" class="naf-choice">
<input type="hidden" name="csrf" value="{{csrf}}">
<fieldset>
<legend><a href="/adherents/{{i['id']}}">{{i['name']}}</a> — {{i['siret']}} — {{i['naf']}} (NAF rév. 2) : {{i['naf_label']}}</legend>
% if i['sirene_naf_2025']:
<p>SIRENE : <strong>{{i['sirene_naf_2025']}}</strong>{{'' if i['sirene_is_candidate'] else ' (hors des codes proposés par la correspondance)'}}</p>
% end
% for c in i['candidates']:
<label class="check"><input type="radio" name="naf_2025" value="{{c['code']}}" {{'checked' if c['code'] == i['sirene_naf_2025'] else ''}} required> {{c['code']}} — {{c['label']}}</label>
% end
<button type="submit">Enregistrer ce code NAF 2025</button>
</fieldset>
</form>
% end
% else:
<p class="muted">Aucun.</p>
% end
</section>
<p><a href="/adherents">Retour à la liste des adhérents</a></p>
