var AssetLifecycleBase = Class.create();

// install_status values used by ITAM
AssetLifecycleBase.STATE = {
    IN_USE: '1',
    ON_ORDER: '2',
    IN_MAINTENANCE: '3',
    IN_STOCK: '6',
    RETIRED: '7',
    PENDING_INSTALL: '9'
};

AssetLifecycleBase.prototype = {
    /**
     * @param {GlideRecord} assetGr the asset whose lifecycle is managed
     */
    initialize: function(assetGr) {
        this.asset = assetGr;
        this.transitions = {
            '2': ['6', '7'],
            '6': ['1', '9', '3', '7'],
            '9': ['1', '6'],
            '1': ['6', '3', '7'],
            '3': ['6', '1', '7'],
            '7': []
        };
    },

    canTransition: function(fromState, toState) {
        if (fromState == toState)
            return true;
        var allowed = this.transitions[String(fromState)] || [];
        return allowed.indexOf(String(toState)) > -1;
    },

    getAllowedTransitions: function() {
        return this.transitions[this.asset.getValue('install_status')] || [];
    },

    /**
     * Moves the asset to a new state after checking the transition table.
     * Writes an audit row and updates the asset.
     * @returns {boolean}
     */
    transitionTo: function(newState, substatus, note) {
        var from = this.asset.getValue('install_status');
        if (!this.canTransition(from, newState)) {
            gs.warn('Blocked lifecycle transition ' + from + ' -> ' + newState + ' for ' + this.asset.getValue('asset_tag'));
            return false;
        }
        this.asset.setValue('install_status', newState);
        this.asset.setValue('substatus', substatus || '');
        if (note)
            this.asset.comments = note;
        this.asset.update();
        this._logTransition(from, newState, note);
        return true;
    },

    _logTransition: function(fromState, toState, note) {
        var log = new GlideRecord('x_acme_itam_lifecycle_log');
        log.initialize();
        log.setValue('asset', this.asset.getUniqueValue());
        log.setValue('from_state', fromState);
        log.setValue('to_state', toState);
        log.setValue('note', note || '');
        log.setValue('changed_by', gs.getUserID());
        log.insert();
    },

    type: 'AssetLifecycleBase'
};
