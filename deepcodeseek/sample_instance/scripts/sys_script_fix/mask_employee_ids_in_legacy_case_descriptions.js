// One-off (privacy review 2024-11): legacy case descriptions contain full employee numbers.
var pattern = /\bE\d{7}\b/g;
var fixed = 0;

var hrCase = new GlideRecord('x_acme_hr_case');
hrCase.addQuery('description', 'LIKE', 'E0');
hrCase.query();
while (hrCase.next()) {
    var text = hrCase.getValue('description');
    var masked = text.replace(pattern, function(id) {
        return maskEmployeeId(id);
    });
    if (masked == text)
        continue;
    hrCase.setValue('description', masked);
    hrCase.setWorkflow(false);
    hrCase.update();
    fixed++;
}
gs.info('Masked employee numbers in ' + fixed + ' case description(s)');
