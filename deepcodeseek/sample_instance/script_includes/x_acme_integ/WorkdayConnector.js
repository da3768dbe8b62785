var WorkdayConnector = Class.create();
WorkdayConnector.prototype = Object.extendsObject(AcmeRestClient, {

    initialize: function() {
        AcmeRestClient.prototype.initialize.call(this, 'workday');
        this.tenant = gs.getProperty('x_acme_integ.workday.tenant', 'acme');
    },

    /**
     * Worker record from Workday by employee ID.
     * @param {string} employeeId
     * @returns {Object|null} worker JSON (id, name, email, managerId, costCenter, status)
     */
    getWorker: function(employeeId) {
        var res = this.get('/ccx/api/v1/' + this.tenant + '/workers', { employeeId: employeeId });
        if (!res.ok || !res.body || !res.body.data || !res.body.data.length)
            return null;
        return res.body.data[0];
    },

    /**
     * Sends a termination event to Workday once HR offboarding is complete.
     * @param {string} employeeId
     * @param {string} terminationDate yyyy-MM-dd
     * @param {string} reason Workday termination reason code
     */
    pushTermination: function(employeeId, terminationDate, reason) {
        var payload = {
            worker: { employeeId: employeeId },
            terminationDate: terminationDate,
            primaryReason: reason || 'VOLUNTARY_RESIGNATION',
            source: 'ServiceNow HR'
        };
        var res = this.post('/ccx/api/v1/' + this.tenant + '/terminations', payload);
        return res.ok;
    },

    // Org changes (hires, moves, terminations) since the given date/time
    getOrgChanges: function(sinceDate) {
        var since = new GlideDateTime(sinceDate.toString()).getValue().replace(' ', 'T') + 'Z';
        var changes = [];
        var offset = 0;
        var pageSize = 100;
        while (true) {
            var res = this.get('/ccx/api/v1/' + this.tenant + '/workerEvents',
                { updatedFrom: since, limit: pageSize, offset: offset });
            if (!res.ok || !res.body)
                break;
            changes = changes.concat(res.body.data || []);
            if (!res.body.data || res.body.data.length < pageSize)
                break;
            offset += pageSize;
        }
        return changes;
    },

    syncWorkerToUser: function(employeeId) {
        var worker = this.getWorker(employeeId);
        if (!worker)
            return false;
        var user = new GlideRecord('sys_user');
        if (!user.get('employee_number', employeeId))
            return false;
        new PayloadMapper('workday_worker').applyResponse(user, worker);
        user.setValue('active', worker.status == 'Active');
        return !!user.update();
    },

    type: 'WorkdayConnector'
});
