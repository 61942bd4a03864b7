/** The notification endpoint of one integration: what the customer subscribes to the SNS topic. */
export function notificationEndpointUrl(publicBaseUrl: string, integrationId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/v1/integrations/${encodeURIComponent(integrationId)}/notifications`;
}
