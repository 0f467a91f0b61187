% from urllib.parse import urlencode
% if total > size:
<nav class="pager" aria-label="Pagination">
% if offset > 0:
<a href="{{base}}?{{urlencode(dict(params, debut=max(0, offset - size)))}}">← Précédents</a>
% end
<span>{{offset + 1}}–{{min(offset + size, total)}} sur {{total}}</span>
% if offset + size < total:
<a href="{{base}}?{{urlencode(dict(params, debut=offset + size))}}">Suivants →</a>
% end
</nav>
% end
