import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/*
 * SDK clients are created once per process. Each honours the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables, which is how the local stack points
 * the same code at its emulators.
 */

export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

export const ses = new SESv2Client({});

export const sfn = new SFNClient({});
