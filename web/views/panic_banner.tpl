<section class="panic-banner{{' running' if a['running'] else ' ended'}}" role="alert" data-alert="{{a['id']}}" data-started="{{a['started_at']}}" data-now="{{now}}">
<p class="panic-title"><strong>{{'ALERTE DU BOUTON EN COURS' if a['running'] else 'Alerte du bouton terminée'}}</strong> — <a href="/alertes/{{a['id']}}">alerte n° {{a['id']}}</a> déclenchée par le <span class="panic-author">{{a['author']}}</span> le {{a['started_label']}}
% if a['running']:
(<span class="panic-elapsed">il y a {{a['elapsed_label']}}</span>)
% else:
· terminée le {{a['completed_label']}}
% end
</p>
<progress class="panic-progress" max="{{a['total'] or 1}}" value="{{a['done']}}">{{a['done']}} / {{a['total']}}</progress>
<p class="panic-counts">{{a['progress_label']}}</p>
</section>
