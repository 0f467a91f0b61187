% rebase("base.tpl", title=title)
<h1>Importer des adhérents</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
% if report is None:
% if rejects_key:
<section class="card narrow" id="import-rejects">
<h2>Lignes refusées</h2>
<p>Les lignes refusées n'ont pas été importées. Le fichier ci-dessous les reprend, au format du fichier envoyé, avec le numéro de ligne et le motif du refus : corrigez-les puis importez-le.</p>
<p><a class="button" id="import-rejects-link" href="/adherents/import/{{rejects_key}}/refus.csv" download>Télécharger les lignes refusées</a></p>
</section>
% end
<section class="card narrow">
<form method="post" action="/adherents/import" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="file">Fichier CSV (séparateur « ; » ou « , », UTF-8 ou Windows-1252, 2 Mo au plus)</label>
<input id="file" name="file" type="file" accept=".csv,text/csv" required>
<button type="submit" class="primary">Vérifier le fichier</button>
</form>
<p class="muted">Le fichier exporté par une chambre s'importe tel quel : les en-têtes sont reconnus sous leurs formes courantes (« Raison sociale », « SIRET », « Code APE », « Commune », « Téléphone portable », « Tél. mobile »…) et vous pourrez corriger la lecture de chaque colonne. Une commune s'écrit par son code INSEE ou par son nom (« Argentan », « St-Germain-du-Corbéis ») ; le code postal ne sert qu'à départager deux communes du même nom. Rien n'est enregistré avant votre confirmation.</p>
</section>
% else:
% if columns:
<section class="card" id="import-mapping">
<h2>Lecture des colonnes{{' de « %s »' % filename if filename else ''}}</h2>
<p class="muted">Voici comment chaque colonne du fichier a été comprise. Corrigez un choix si besoin, puis relisez le fichier.</p>
% for text in notes:
<p class="flash warn">{{text}}</p>
% end
<form method="post" action="/adherents/import/colonnes">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="key" value="{{key}}">
<div class="table-wrap">
<table class="import-columns">
<thead><tr><th>Colonne du fichier</th><th>Exemples</th><th>Lue comme</th></tr></thead>
<tbody>
% for c in columns:
<tr data-column="{{c.index}}"><td><strong>{{c.header or '(sans en-tête)'}}</strong></td><td class="muted">{{' · '.join(c.samples)}}</td>
<td><label class="sr-only" for="colonne_{{c.index}}">Lecture de la colonne « {{c.header}} »</label>
<select id="colonne_{{c.index}}" name="colonne_{{c.index}}">
<option value="" {{'selected' if not c.field else ''}}>— ignorée —</option>
% for value, label in field_labels.items():
<option value="{{value}}" {{'selected' if c.field == value else ''}}>{{label}}</option>
% end
</select></td></tr>
% end
</tbody>
</table>
</div>
<div class="buttons"><button type="submit" id="import-remap">Relire le fichier avec ces colonnes</button></div>
</form>
</section>
% end
<section class="card">
<h2>Aperçu{{' de « %s »' % filename if filename else ''}}</h2>
<p><strong id="import-valid">{{len(report.rows)}} ligne(s) valide(s)</strong>, <strong id="import-invalid">{{len(report.errors)}} ligne(s) en erreur</strong>
% if report.rows:
 — {{report.created}} adhérent(s) à créer, {{report.updated}} à mettre à jour.
% end
</p>
% if report.errors:
<h3>Lignes en erreur</h3>
<div class="table-wrap">
<table class="import-errors">
<thead><tr><th>Ligne</th><th>Raison sociale</th><th>Motif</th></tr></thead>
<tbody>
% for line, reason in report.errors:
<tr><td>{{line}}</td><td>{{report.names.get(line, '')}}</td><td>{{reason}}</td></tr>
% end
</tbody>
</table>
</div>
% if report.rejected and key:
<p><a id="import-rejects-preview" href="/adherents/import/{{key}}/refus.csv" download>Télécharger les lignes en erreur (même format que le fichier, avec le motif)</a></p>
% end
% end
% if report.warnings:
<h3>Avertissements</h3>
<ul>
% for line, text in report.warnings[:50]:
<li>{{report.label(line, "Ligne")}} : {{text}}</li>
% end
</ul>
% end
% if report.rows:
<details {{'open' if report.ok or len(report.rows) <= 50 else ''}}><summary>Lignes valides</summary>
<div class="table-wrap">
<table class="import-rows">
<thead><tr><th>Ligne</th><th>SIRET</th><th>Raison sociale</th><th>Codes NAF</th><th>Commune</th><th>Téléphones</th></tr></thead>
<tbody>
% for r in report.rows[:200]:
<tr><td>{{r.get('line')}}</td><td>{{r.get('siret')}}</td><td>{{r.get('name')}}</td><td>{{'%s (NAF rév. 2)' % r['naf'] if r.get('naf') else ''}} {{'%s (NAF 2025)' % r['naf_2025'] if r.get('naf_2025') else ''}}</td><td>{{'%s (%s)' % (commune_names.get(r['commune'], ''), r['commune']) if r.get('commune') else ''}}</td><td class="phone">{{", ".join(phone(p) for p in (r.get('phones') or []))}}</td></tr>
% end
</tbody>
</table>
</div>
% if len(report.rows) > 200:
<p class="muted">… et {{len(report.rows) - 200}} autre(s).</p>
% end
</details>
% end
% if key and report.rows:
<form method="post" action="/adherents/import/confirmer" class="buttons">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="key" value="{{key}}">
% if report.ok:
<button type="submit" class="primary" id="import-confirm">Importer ces {{len(report.rows)}} adhérent(s)</button>
% else:
<input type="hidden" name="partial" value="1">
% n, m = len(report.rows), len(report.errors)
<button type="submit" class="primary" id="import-partial">Importer {{'la ligne valide' if n == 1 else 'les %d lignes valides' % n}} et écarter {{'la ligne en erreur' if m == 1 else 'les %d lignes en erreur' % m}}</button>
% end
<a href="/adherents/import">{{'Choisir un autre fichier' if report.ok else 'Envoyer un fichier corrigé'}}</a>
</form>
% else:
<p><a class="button" href="/adherents/import">Envoyer un fichier corrigé</a></p>
% end
</section>
% end
