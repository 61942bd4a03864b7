require('./lib/src/parquet/inspect').readFooter; 
