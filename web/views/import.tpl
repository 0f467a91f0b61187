% rebase("base.tpl", title=title)
<h1>Importer des adhérents</h1>
% if error:
<p class="flash error" role="alert">{{error}}</p>
% end
% if report is None:
<section class="card narrow">
<form method="post" action="/adherents/import" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="file">Fichier CSV (séparateur « ; » ou « , », UTF-8 ou Windows-1252, 2 Mo au plus)</label>
<input id="file" name="file" type="file" accept=".csv,text/csv" required>
<button type="submit" class="primary">Vérifier le fichier</button>
</form>
<p class="muted">Colonnes reconnues : siret, nom, enseigne, naf (code APE, nomenclature reconnue), naf_rev2, naf_2025 (ou « Code APE 2025 », « NAF 2025 »…), commune (code INSEE) ou code_postal + ville, telephone, telephone_2, contact, email, chambre, statut, date_consentement, canal_consentement, version_notice, notes. Rien n'est enregistré avant votre confirmation.</p>
</section>
% else:
<section class="card">
<h2>Aperçu{{' de « %s »' % filename if filename else ''}}</h2>
<p><strong id="import-valid">{{len(report.rows)}} ligne(s) valide(s)</strong>, <strong id="import-invalid">{{len(report.errors)}} ligne(s) en erreur</strong>
% if report.ok:
 — {{report.created}} adhérent(s) à créer, {{report.updated}} à mettre à jour.
% end
</p>
% if report.errors:
<h3>Lignes en erreur (rien ne sera importé tant qu'il en reste)</h3>
<table class="import-errors">
<thead><tr><th>Ligne</th><th>Motif</th></tr></thead>
<tbody>
% for line, reason in report.errors:
<tr><td>{{line}}</td><td>{{reason}}</td></tr>
% end
</tbody>
</table>
% end
% if report.warnings:
<h3>Avertissements</h3>
<ul>
% for line, text in report.warnings[:50]:
<li>Ligne {{line}} : {{text}}</li>
% end
</ul>
% end
% if report.rows:
<details {{'open' if report.ok else ''}}><summary>Lignes valides</summary>
<div class="table-wrap">
<table>
<thead><tr><th>Ligne</th><th>SIRET</th><th>Nom</th><th>Codes NAF</th><th>Commune</th><th>Téléphones</th></tr></thead>
<tbody>
% for r in report.rows[:200]:
<tr><td>{{r.get('line')}}</td><td>{{r.get('siret')}}</td><td>{{r.get('name')}}</td><td>{{'%s (NAF rév. 2)' % r['naf'] if r.get('naf') else ''}} {{'%s (NAF 2025)' % r['naf_2025'] if r.get('naf_2025') else ''}}</td><td>{{r.get('commune') or ''}}</td><td>{{", ".join(r.get('phones') or [])}}</td></tr>
% end
</tbody>
</table>
</div>
% if len(report.rows) > 200:
<p class="muted">… et {{len(report.rows) - 200}} autre(s).</p>
% end
</details>
% end
% if key:
<form method="post" action="/adherents/import/confirmer" class="buttons">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="key" value="{{key}}">
<button type="submit" class="primary" id="import-confirm">Importer ces {{len(report.rows)}} adhérent(s)</button>
<a href="/adherents/import">Choisir un autre fichier</a>
</form>
% else:
<p><a class="button" href="/adherents/import">Envoyer un fichier corrigé</a></p>
% end
</section>
% end
