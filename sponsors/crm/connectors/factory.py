"""A connection's connector, with its credentials and the rules configuration's manners."""

from __future__ import annotations

import time

from ...config import rules_config
from ..connections import connection_credentials
from .analytics import AnalyticsSource
from .hubspot import HubSpotConnector


def build_connector(connection, *, sleep=time.sleep):
    from .salesforce import SalesforceConnector  # noqa: PLC0415 - simple-salesforce pulls in zeep, lxml

    conf = rules_config().crm
    credentials = connection_credentials(connection)
    if connection.kind == "hubspot":
        connector = HubSpotConnector(token=credentials.get("token", ""), conf=conf, base_url=connection.base_url,
                                     prefix=connection.api_prefix, options=connection.options, sleep=sleep)
    else:
        connector = SalesforceConnector(credentials=credentials, conf=conf, instance_url=connection.base_url,
                                        version=connection.api_prefix, options=connection.options, sleep=sleep)
    if connection.analytics_url or connection.analytics_csv:
        source = AnalyticsSource(url=connection.analytics_url, csv_path=connection.analytics_csv, conf=conf,
                                 sleep=sleep)
        connector.get_metrics = source.pages
    return connector
