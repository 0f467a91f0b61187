% for f in fields:
% if errors.get(f):
<p class="field-error">{{errors[f]}}</p>
% end
% end
