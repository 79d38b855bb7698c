"""Salesforce: tokens (`auth`), simple-salesforce wrapped (`client`), safe SOQL (`soql`), the
fields a pull selects (`fields`), pure mapping (`mapping`, `render`), paging (`pull`), the
collection writeback and lead routing (`write`), custom-field setup (`schema`) and
`SalesforceConnector`."""
