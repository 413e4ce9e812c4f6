"""CRM connectors (HubSpot, Salesforce) and the analytics source: the interface is ``base.Connector``."""
