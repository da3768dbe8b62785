// "Enrich" related-list action on Security Incident
var intel = new ThreatIntelLookup();
var malicious = intel.enrichIncident(current);
current.update();

if (malicious > 0) {
    gs.addErrorMessage(malicious + ' indicator(s) are known malicious');
    if (current.getValue('severity') > 2) {
        current.setValue('severity', 2);
        current.update();
    }
} else {
    gs.addInfoMessage('No known malicious indicators');
}
action.setRedirectURL(current);
